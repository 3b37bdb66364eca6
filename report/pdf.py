"""The meeting report as a PDF: KPIs, charts, the child-unit table and the silent teams of a period."""

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy.orm import Session

from db import activities, coverage, reporting, targets, vocab
from db.access import Actor
from report import charts, fmt
from report.images import chart_png, font_dir


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, read once through the scoped db functions."""

    unit_name: str
    start: date
    end: date
    indicators: coverage.Indicators
    children: pd.DataFrame
    progress: pd.DataFrame
    target_progress: targets.TargetProgress
    months: pd.DataFrame
    reporting: pd.DataFrame
    silent: pd.DataFrame


def collect(session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date) -> ReportData:
    """Read the report's figures for a unit (the whole country for None) and a period."""
    ind = coverage.fetch_indicators(session, actor=actor, unit_id=unit_id, as_of=end)
    scope = unit_id if unit_id is not None else actor.unit_id
    return ReportData(
        unit_name=ind.unit,
        start=start,
        end=end,
        indicators=ind,
        children=coverage.fetch_coverage_by_child(session, actor=actor, unit_id=scope, as_of=end),
        progress=targets.fetch_child_progress(session, actor=actor, unit_id=scope, today=end),
        target_progress=targets.fetch_target_progress(session, actor=actor, unit_id=scope, as_of=end, since=start),
        months=activities.fetch_unit_activity_by_month(session, actor=actor, unit_id=scope, start=start, end=end),
        reporting=reporting.fetch_reporting_by_child(session, actor=actor, unit_id=scope, start=start, end=end),
        silent=reporting.fetch_silent_teams(session, actor=actor, unit_id=scope, start=start, end=end, limit=200),
    )


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        fonts = font_dir()
        self.add_font("Roboto", "", str(fonts / "Roboto-Regular.ttf"))
        self.add_font("Roboto", "B", str(fonts / "Roboto-Bold.ttf"))
        self.add_font("Roboto", "I", str(fonts / "Roboto-Italic.ttf"))
        self.set_title(title)
        self.set_author("Hệ thống theo dõi Tổ công nghệ số cộng đồng")
        self.set_auto_page_break(auto=True, margin=15)
        self.title_text = title

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Roboto", "I", 8)
        self.cell(0, 8, f"{self.title_text} — trang {self.page_no()}/{{nb}}", align="C")

    def ensure_space(self, mm: float) -> None:
        """Start a new page unless `mm` millimetres are left, so a heading stays with its content."""
        if self.get_y() + mm > self.h - self.b_margin:
            self.add_page()

    def heading(self, text: str, *, keep_with: float = 60) -> None:
        self.ensure_space(keep_with)
        self.ln(3)
        self.set_font("Roboto", "B", 13)
        self.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Roboto", "", 10)

    def grid_table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font("Roboto", "B", 9)
        with self.table_ctx(widths) as table:
            table.row(header)
            self.set_font("Roboto", "", 9)
            for row in rows:
                table.row(row)

    def table_ctx(self, widths: list[float]) -> "_TableCtx":
        return _TableCtx(self, widths)

    def chart(self, png: bytes, width: float = 180) -> None:
        import io

        self.image(io.BytesIO(png), w=width)


class _TableCtx:
    """A minimal bordered table that breaks across pages."""

    def __init__(self, pdf: FPDF, widths: list[float]) -> None:
        self.pdf, self.widths = pdf, widths

    def __enter__(self) -> "_TableCtx":
        return self

    def __exit__(self, *exc: object) -> None:
        self.pdf.ln(2)

    def row(self, cells: list[str]) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 25:
            pdf.add_page()
        height = 6
        for text, width in zip(cells, self.widths, strict=True):
            pdf.cell(width, height, str(text)[: int(width * 0.6)], border=1)
        pdf.ln(height)


def render(data: ReportData) -> bytes:
    """Lay the report out on A4 pages and return the PDF bytes."""
    ind = data.indicators
    title = f"Báo cáo Tổ CNSCĐ — {data.unit_name}"
    pdf = _Pdf(title)
    pdf.add_page()
    pdf.set_font("Roboto", "B", 16)
    pdf.multi_cell(0, 9, "BÁO CÁO TÌNH HÌNH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 12)
    pdf.multi_cell(0, 7, f"{data.unit_name} — từ ngày {fmt.day(data.start)} đến ngày {fmt.day(data.end)}", align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "I", 9)
    pdf.multi_cell(0, 5, f"Lập lúc {datetime.now():%H:%M ngày %d/%m/%Y}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.heading("1. Các chỉ tiêu chính")
    period_reports = int(data.months["reports"].sum()) if not data.months.empty else 0
    period_people = int(data.months["people_reached"].sum()) if not data.months.empty else 0
    kpis = [
        ["Thôn, khối phố có tổ", f"{fmt.number(ind.villages_covered)}/{fmt.number(ind.villages)} ({fmt.percent(ind.village_coverage)})"],
        ["Xã có tổ cấp xã", f"{fmt.number(ind.communes_with_team)}/{fmt.number(ind.communes)} ({fmt.percent(ind.commune_coverage)})"],
        ["Tổ đang hoạt động", fmt.number(ind.teams)],
        ["Thành viên", fmt.number(ind.members)],
        ["Báo cáo hoạt động trong kỳ", fmt.number(period_reports)],
        ["Lượt người được hỗ trợ trong kỳ", fmt.number(period_people)],
        ["Tỷ lệ tổ có báo cáo (30 ngày đến cuối kỳ)", fmt.percent(ind.active_team_rate)],
        ["Tổ chưa báo cáo (30 ngày đến cuối kỳ)", fmt.number(ind.silent_teams)],
    ]
    progress = data.target_progress
    if progress.target is not None:
        kpis.append(["Chỉ tiêu độ phủ", f"{fmt.percent(progress.target.value)} trước {fmt.day(progress.target.due_on)}"
                     + (f" (của {progress.target.unit_name})" if progress.target.inherited else "")])
    kpis.append([f"Dự kiến đạt {fmt.percent(progress.aim)} theo tốc độ hiện nay",
                 fmt.day(progress.projected) if progress.projected else ("Đã đạt" if progress.reached else "Chưa xác định được")])
    pdf.grid_table(["Chỉ tiêu", "Giá trị"], kpis, [100, 80])

    if progress.villages > 0:
        pdf.heading("2. Độ phủ theo thời gian so với chỉ tiêu")
        chart = charts.build_timeline_chart(progress.timeline, goal=progress.goal, deadline=progress.deadline,
                                            projected=progress.projected)
        pdf.chart(chart_png(chart.properties(width=640, height=260)), width=175)

    if not data.children.empty and data.children["villages"].sum() > 0:
        pdf.heading("3. Độ phủ theo địa bàn trực thuộc")
        pdf.chart(chart_png(charts.build_coverage_chart(data.children).properties(width=560)), width=175)
        status = dict(zip(data.progress["unit_id"], data.progress["status"], strict=True)) if not data.progress.empty else {}
        rows = [
            [r.name, fmt.number(r.villages), fmt.number(r.covered), fmt.percent(r.coverage), fmt.number(r.teams),
             fmt.number(r.members), vocab.TARGET_STATUSES.get(status.get(r.unit_id, "no_target"), "")]
            for r in data.children.itertuples()
        ]
        pdf.grid_table(["Địa bàn", "Số thôn", "Có tổ", "Độ phủ", "Tổ", "Thành viên", "Tiến độ"], rows, [52, 18, 16, 18, 14, 22, 40])

    if not data.months.empty:
        pdf.heading("4. Hoạt động trong kỳ theo tháng và loại")
        months = charts.build_activity_by_month_chart(data.months, partial_until=data.end)
        pdf.chart(chart_png(months.properties(width=560, height=240)), width=175)
        if note := charts.partial_month_note(data.end):
            pdf.multi_cell(0, 6, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.heading(f"5. Tổ chưa báo cáo trong kỳ ({fmt.number(len(data.silent))})")
    if data.silent.empty:
        pdf.multi_cell(0, 6, "Tất cả các tổ đều có báo cáo trong kỳ.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        rows = [[r.name, r.unit, r.parent or "", fmt.day(r.last_report) if r.last_report is not None else "Chưa có"]
                for r in data.silent.head(100).itertuples()]
        pdf.grid_table(["Tổ", "Địa bàn", "Thuộc", "Báo cáo gần nhất"], rows, [70, 40, 40, 30])
        if len(data.silent) > 100:
            pdf.multi_cell(0, 6, f"… và {fmt.number(len(data.silent) - 100)} tổ khác.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def build_meeting_report(session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date) -> bytes:
    """The meeting report of a unit and period as PDF bytes."""
    return render(collect(session, actor=actor, unit_id=unit_id, start=start, end=end))
