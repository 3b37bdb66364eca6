"""The meeting report as a PDF: an administrative header, the figures against the previous period, charts,
the child-unit table and the silent teams, all from db.meeting.fetch_meeting."""

import io
from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image
from sqlalchemy.orm import Session

from db import vocab
from db.access import Actor
from db.meeting import Meeting, fetch_meeting
from report import charts, fmt
from report import meeting as report_meeting
from report.images import chart_png, font_dir

CHART_WIDTH = 165  # mm: the text width between the margins of an administrative document


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        fonts = font_dir()
        self.add_font("Roboto", "", str(fonts / "Roboto-Regular.ttf"))
        self.add_font("Roboto", "B", str(fonts / "Roboto-Bold.ttf"))
        self.add_font("Roboto", "I", str(fonts / "Roboto-Italic.ttf"))
        self.set_title(title)
        self.set_author("Hệ thống theo dõi Tổ công nghệ số cộng đồng")
        self.set_margins(left=30, top=20, right=15)  # Nghị định 30/2020: left 30–35 mm, right 15–20 mm
        self.set_auto_page_break(auto=True, margin=18)
        self.title_text = title

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Roboto", "I", 8)
        self.cell(0, 8, f"{self.title_text} — trang {self.page_no()}/{{nb}}", align="C")

    def ensure_space(self, mm: float) -> None:
        """Start a new page unless `mm` millimetres are left."""
        if self.get_y() + mm > self.h - self.b_margin:
            self.add_page()

    def section(self, text: str, block: float) -> None:
        """A numbered heading kept on one page with the `block` mm that follow it (half a page if they cannot fit
        on one): a chart cannot break, so one taller than half a page would otherwise leave its heading behind."""
        body = self.h - self.t_margin - self.b_margin
        self.ensure_space(12 + (block if 12 + block <= body else body / 2))
        self.ln(3)
        self.set_font("Roboto", "B", 13)
        self.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Roboto", "", 10)

    def grid_table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        """A bordered table that breaks across pages, its header repeated on each page it reaches."""
        def cells(texts: list[str]) -> None:
            for text, width in zip(texts, widths, strict=True):
                self.cell(width, 6, str(text)[: int(width * 0.6)], border=1)
            self.ln(6)

        self.set_font("Roboto", "B", 9)
        cells(header)
        for row in rows:
            if self.get_y() + 6 > self.h - self.b_margin:
                self.add_page()
                self.set_font("Roboto", "B", 9)
                cells(header)
            self.set_font("Roboto", "", 9)
            cells(row)
        self.ln(2)

    def chart_height(self, png: bytes | None, width: float = CHART_WIDTH) -> float:
        """The height in mm a chart image takes at `width` mm (0 for no image)."""
        if png is None:
            return 0
        with Image.open(io.BytesIO(png)) as image:
            return width * image.height / image.width

    def chart(self, png: bytes, width: float = CHART_WIDTH) -> None:
        self.image(io.BytesIO(png), w=width)


def _header(pdf: "_Pdf", m: Meeting, issued: date) -> None:
    """The header of a Vietnamese administrative report: issuing body and number on the left, Quốc hiệu and
    tiêu ngữ on the right, then place and date, then the title."""
    above, issuer = report_meeting.issuing_bodies(m)
    left, right, top = pdf.l_margin, pdf.l_margin + 72, pdf.get_y()
    pdf.set_font("Roboto", "", 11)
    if above:
        pdf.set_xy(left, top)
        pdf.multi_cell(70, 5, above, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(left)
    pdf.set_font("Roboto", "B", 11)
    pdf.multi_cell(70, 5, issuer, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    rule_y = pdf.get_y() + 0.5
    pdf.line(left + 22, rule_y, left + 48, rule_y)
    pdf.set_xy(left, rule_y + 2)
    pdf.set_font("Roboto", "", 11)
    pdf.multi_cell(70, 6, "Số:        /BC-UBND" if m.unit_id is not None else "Số:        /BC-BKHCN", align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()
    width = pdf.w - pdf.r_margin - right
    pdf.set_xy(right, top)
    pdf.set_font("Roboto", "B", 11)
    pdf.cell(width, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "B", 12)
    pdf.cell(width, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    rule_y = pdf.get_y() + 0.5
    pdf.line(right + width / 2 - 27, rule_y, right + width / 2 + 27, rule_y)
    pdf.set_xy(right, rule_y + 2)
    pdf.set_font("Roboto", "I", 11)
    pdf.cell(width, 6, report_meeting.date_line(report_meeting.place_name(m), issued), align="C")
    pdf.set_xy(left, max(left_bottom, pdf.get_y() + 6) + 6)
    pdf.set_font("Roboto", "B", 14)
    pdf.multi_cell(0, 7, "BÁO CÁO TÌNH HÌNH TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "B", 12)
    pdf.multi_cell(0, 6, f"{m.unit}, {report_meeting.period_text(m)}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _figures(pdf: "_Pdf", m: Meeting) -> None:
    """Section 1: every headline figure against the previous period, and what each one means."""
    rows = [[f.label, fmt.figure_value(f) + (f" ({fmt.figure_part(f)})" if f.part else ""), fmt.figure_previous(f),
             fmt.figure_change(f)] for f in m.figures]
    pdf.section("1. Các chỉ số chính", 6 * (len(rows) + 1))
    pdf.grid_table(["Chỉ số", "Kỳ này", "Kỳ trước", "Tăng, giảm"], rows, [62, 40, 30, 33])
    pdf.set_font("Roboto", "I", 9)
    pdf.multi_cell(0, 5, report_meeting.previous_text(m), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ensure_space(5 * 3)
    pdf.set_font("Roboto", "B", 10)
    pdf.multi_cell(0, 6, "Cách tính các chỉ số", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 9)
    for f in m.figures:
        pdf.multi_cell(0, 5, f"- {f.label}: {f.note}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(m: Meeting, *, issued: date | None = None) -> bytes:
    """Lay the meeting report out on A4 pages and return the PDF bytes."""
    pdf = _Pdf(f"Báo cáo Tổ CNSCĐ — {m.unit}")
    pdf.add_page()
    _header(pdf, m, issued or date.today())
    _figures(pdf, m)

    progress = m.progress
    lines = report_meeting.progress_summary(progress)
    chart = None
    if progress.villages > 0:
        chart = chart_png(charts.build_timeline_chart(progress.timeline, goal=progress.goal, deadline=progress.deadline,
                                                      projected=progress.projected).properties(width=640, height=260))
    pdf.section("2. Tiến độ so với chỉ tiêu", 6 * len(lines) + pdf.chart_height(chart))
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if chart:
        pdf.chart(chart)

    if not m.children.empty and m.children["villages"].sum() > 0:
        chart = chart_png(charts.build_coverage_chart(m.children).properties(width=560))
        pdf.section("3. Độ phủ theo địa bàn trực thuộc", pdf.chart_height(chart))
        pdf.chart(chart)
        status = dict(zip(m.child_progress["unit_id"], m.child_progress["status"], strict=True))
        rows = [
            [r.name, fmt.number(r.villages), fmt.number(r.covered), fmt.percent(r.coverage), fmt.number(r.teams),
             fmt.number(r.members), vocab.TARGET_STATUSES.get(status.get(r.unit_id, "no_target"), "")]
            for r in m.children.itertuples()
        ]
        pdf.ensure_space(6 * min(len(rows) + 1, 4))
        pdf.grid_table(["Địa bàn", "Số thôn", "Có tổ", "Độ phủ", "Tổ", "Thành viên", "Tiến độ"], rows, [48, 17, 15, 17, 13, 22, 33])

    if not m.months.empty:
        chart = chart_png(charts.build_activity_by_month_chart(m.months, partial_until=m.end, partial_from=m.start)
                          .properties(width=560, height=240))
        note = charts.partial_month_note(m.end, m.start)
        pdf.section("4. Hoạt động trong kỳ theo tháng và loại", pdf.chart_height(chart))
        pdf.chart(chart)
        if note:
            pdf.multi_cell(0, 6, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    silent = m.silent.head(PDF_SILENT_ROWS)
    pdf.section(f"5. Tổ chưa báo cáo trong kỳ ({fmt.number(m.silent_count)})", 6 * min(len(silent) + 2, 5))
    pdf.set_font("Roboto", "I", 9)
    pdf.multi_cell(0, 5, report_meeting.SILENT_RULE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Roboto", "", 10)
    if silent.empty:
        pdf.multi_cell(0, 6, "Tất cả các tổ đều có báo cáo trong kỳ.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        rows = [[r.name, r.unit, r.parent or "", fmt.day(r.last_report) if r.last_report is not None else "Chưa có"]
                for r in silent.itertuples()]
        pdf.grid_table(["Tổ", "Địa bàn", "Thuộc", "Báo cáo gần nhất"], rows, [60, 37, 38, 30])
        if m.silent_count > len(silent):
            pdf.multi_cell(0, 6, f"… và {fmt.number(m.silent_count - len(silent))} tổ khác.", new_x=XPos.LMARGIN,
                           new_y=YPos.NEXT)
    return bytes(pdf.output())


PDF_SILENT_ROWS = 100  # the silent teams the PDF lists; the count above them is always the whole


def build_meeting_report(session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date) -> bytes:
    """The meeting report of a unit and period as PDF bytes."""
    return render(fetch_meeting(session, actor=actor, unit_id=unit_id, start=start, end=end))
