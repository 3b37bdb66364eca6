"""Page sections shared by several pages: indicator cards, report tables, photos, composition."""

import pandas as pd
import streamlit as st

from db.coverage import Indicators
from db.meeting import Meeting
from db.photos import photo_path, thumbnail_path
from db.reporting import SILENT_LIMIT
from report import charts, fmt
from ui import downloads


def indicator_cards(ind: Indicators) -> None:
    """The headline indicators as metric cards."""
    row1 = st.columns(3)
    row1[0].metric(
        "Độ phủ thôn có Tổ CNSCĐ",
        fmt.percent(ind.village_coverage) if ind.villages else "–",
        help="Số thôn, khối phố có ít nhất một tổ đang hoạt động ÷ tổng số thôn, khối phố.",
        border=True,
    )
    row1[0].caption(f"{fmt.number(ind.villages_covered)}/{fmt.number(ind.villages)} thôn, khối phố có tổ")
    row1[1].metric(
        "Xã có tổ cấp xã",
        fmt.percent(ind.commune_coverage) if ind.communes else "–",
        border=True,
    )
    row1[1].caption(f"{fmt.number(ind.communes_with_team)}/{fmt.number(ind.communes)} xã, phường, thị trấn")
    row1[2].metric("Tổ đang hoạt động", fmt.number(ind.teams), border=True)
    row1[2].caption(f"{fmt.number(ind.members)} thành viên")
    row2 = st.columns(3)
    row2[0].metric("Báo cáo hoạt động", fmt.number(ind.activities), border=True)
    row2[0].caption(f"{fmt.number(ind.people_reached)} lượt người dân được hỗ trợ")
    row2[1].metric("Tỷ lệ tổ có báo cáo (30 ngày)", fmt.percent(ind.active_team_rate), border=True)
    row2[2].metric("Tổ chưa báo cáo (30 ngày)", fmt.number(ind.silent_teams), border=True)


def reports_table(recent: pd.DataFrame, *, key: str = "reports_recent_export") -> None:
    """The latest reports as a table with Vietnamese headers, exportable to Excel."""
    downloads.table(
        {
            "Ngày": recent["activity_date"].map(fmt.day),
            "Loại": recent["type_label"],
            "Người": recent["people_reached"].map(fmt.number),
            "Hộ": recent["households_reached"].map(fmt.number),
            "Kết quả": recent["results"].map(fmt.number),
            "Người báo cáo": recent["reporter"].fillna("—"),
            "Ghi chú": recent["note"].fillna(""),
        },
        name="bao-cao-hoat-dong", key=key, sheet="Báo cáo hoạt động",
    )


def photo_grid(recent: pd.DataFrame, *, limit: int = 6) -> None:
    """The reports' stored thumbnails (made at upload: the photo itself is never decoded here); a photo whose file
    is gone, or one too large to show, gets a caption instead."""
    with_photos = recent[recent["photo"].notna()].head(limit)
    if with_photos.empty:
        return
    cols = st.columns(3)
    for i, row in enumerate(with_photos.itertuples()):
        thumb = thumbnail_path(row.photo)
        caption = f"{fmt.day(row.activity_date)} · {row.type_label}"
        with cols[i % 3]:
            if thumb is not None:
                st.image(str(thumb), caption=caption, width=160)
            elif photo_path(row.photo) is None:
                st.caption(f":material/hide_image: Ảnh không còn — {caption}")
            else:
                st.caption(f":material/hide_image: Ảnh quá lớn, không hiển thị được — {caption}")


def composition(comp: dict) -> None:
    """Members per team, youth and women shares, and members by organisation."""
    cols = st.columns(4)
    cols[0].metric("Thành viên đang tham gia", fmt.number(comp["members"]), border=True)
    cols[1].metric("Bình quân mỗi tổ", fmt.number(comp["members_per_team"], 1), border=True)
    cols[2].metric("Tỷ lệ thanh niên (16–30 tuổi)", fmt.percent(comp["youth_share"]), border=True)
    cols[3].metric("Tỷ lệ nữ", fmt.percent(comp["women_share"]), border=True)
    if not comp["by_organisation"].empty:
        st.altair_chart(charts.build_organisation_chart(comp["by_organisation"]), width="stretch")


def history_table(history: pd.DataFrame, *, key: str = "history_export") -> None:
    """Audit rows: when, who, what, and the fields that changed; exportable to Excel."""
    table = {"Thời điểm": history["at"].map(lambda t: t.strftime("%d/%m/%Y %H:%M")), "Người thực hiện": history["who"]}
    if "entity" in history:
        table["Đối tượng"] = history["entity"]
    table |= {"Thao tác": history["action"], "Nội dung thay đổi": history["changes"]}
    downloads.table(table, name="lich-su-thay-doi", key=key, sheet="Lịch sử thay đổi")


def silent_heading(silent: pd.DataFrame, title: str, *, total: int | None = None) -> None:
    """The silent teams' heading with their number; when the list stops at its limit, that it shows the first ones
    (out of `total`, when the caller counted them all)."""
    if len(silent) >= SILENT_LIMIT:
        shown = f"{fmt.number(len(silent))} tổ đầu tiên" + (f" trên {fmt.number(total)}" if total is not None else "")
        st.subheader(f"{title} ({shown})")
        st.caption("Danh sách chỉ hiện một phần; hãy chọn địa bàn nhỏ hơn để xem hết.")
    else:
        st.subheader(f"{title} ({fmt.number(len(silent) if total is None else total)})")


def meeting_cards(m: Meeting, *, columns: int = 3, parts: bool = True) -> None:
    """The meeting's headline figures as cards, each with its change from the previous period (so với kỳ trước);
    `parts` adds a ratio's numerator and denominator to its label (the slides leave them to the PDF)."""
    for i, figure in enumerate(m.figures):
        if i % columns == 0:
            row = st.columns(columns)
        cell = row[i % columns]
        still = not fmt.figure_change(figure).startswith(("+", "-"))  # no change at the precision shown
        # More silent teams is worse: its colours are inverted; an unchanged figure is grey, without an arrow.
        label = f"{figure.label} ({fmt.figure_part(figure)})" if parts and figure.part else figure.label
        cell.metric(label, fmt.figure_value(figure), delta=f"{fmt.figure_change(figure)} so với kỳ trước",
                    delta_color="off" if still else ("inverse" if figure.key == "silent" else "normal"),
                    delta_arrow="off" if still else "auto", help=figure.note, border=True)
