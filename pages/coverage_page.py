"""Độ phủ: coverage of any unit's children with drill-down, the map, and the villages without a team."""

from datetime import date

import pandas as pd
import streamlit as st

from db import coverage, limits
from report import charts, fmt, tables
from ui import data, downloads, history, live, navigation, panels, widgets
from ui.session import require_actor

actor = require_actor()
st.title("Độ phủ Tổ CNSCĐ")
unit = navigation.unit_in_view(actor, key="coverage_nav")
today = date.today()
as_of = st.date_input(
    "Tính đến ngày", value=today, max_value=today, min_value=limits.EARLIEST_DATE,
    format=fmt.DATE_FORMAT, key="coverage_as_of",
    help="Chọn một ngày trong quá khứ để xem độ phủ khi đó: chỉ tính các tổ đang hoạt động vào ngày ấy.",
)
regroup = history.structure_notes(actor, unit.id, as_of, key="coverage")


def village_view() -> None:
    """A commune's villages, covered or not, with their team: a chart and the list to take to Excel."""
    villages = data.read(coverage.fetch_village_teams, actor, commune_id=unit.id, as_of=as_of)
    if villages.empty:
        st.info("Xã chưa có thôn, khối phố nào trong hệ thống; cán bộ thêm thôn ở trang Địa bàn.")
        return
    st.altair_chart(charts.build_village_chart(villages), width="stretch", key="coverage_villages_chart")
    st.caption("Mỗi thanh là một thôn, khối phố: dài theo số thành viên đang hoạt động của tổ; màu đỏ là thôn chưa có tổ.")
    downloads.table(tables.village_teams_table(villages), name=f"thon-va-to-{unit.id}-{as_of:%Y%m%d}",
                    key="coverage_villages_export", sheet="Thôn và tổ")


def children_view(children: pd.DataFrame) -> None:
    """The children's coverage, click to drill down, and its list; a commune's villages."""
    if unit.tier != "commune" and children["villages"].sum() > 0:
        navigation.drillable_coverage_chart(children, key="coverage_chart")
        downloads.table(tables.coverage_table(children), name=f"do-phu-{unit.id}-{as_of:%Y%m%d}",
                        key="coverage_children_export", sheet="Độ phủ")
    elif unit.tier != "commune":
        st.info("Các địa bàn trực thuộc chưa có thôn, khối phố nào trong hệ thống.")
    else:
        village_view()


def map_view() -> None:
    """The unit's map: districts for the country, communes below; a commune among its district's; the archipelagos."""
    isles = data.read(coverage.fetch_archipelagos, actor, unit_id=unit.id)
    if unit.id is None:  # the country: a point per district (ten thousand communes would be megabytes)
        points = data.read(coverage.fetch_district_points, actor, unit_id=unit.id, as_of=as_of)
        chart = charts.build_map_chart(points, archipelagos=isles, title="Bản đồ độ phủ theo huyện", place="Huyện")
        what = "Mỗi điểm là một huyện; tên ghi theo tỉnh."
    else:
        points = data.read(coverage.fetch_commune_points, actor, unit_id=unit.id, as_of=as_of, neighbours=True)
        chart = charts.build_map_chart(points, archipelagos=isles)
        if unit.tier == "commune" and len(points) > 1:
            what = widgets.md(f"{unit.name} (viền đậm) giữa các xã cùng huyện.")
        elif len(points) > charts.MAP_LABEL_ALL:
            what = "Mỗi điểm là một xã; tên ghi theo huyện."
        else:
            what = "Mỗi điểm là một xã."
    if points.dropna(subset=["lat", "lon"]).empty:
        st.info("Chưa có tọa độ của các xã trong địa bàn này.")
        return
    # The country is tall and narrow: at a common height its names would overprint one another.
    st.altair_chart(chart, width="stretch", height=900 if unit.id is None else 560, key="coverage_map")
    isles_note = "; hình thoi là quần đảo" if not isles.empty else ""
    st.caption(f"{what} Màu theo tỷ lệ thôn có tổ; điểm càng lớn, địa bàn càng nhiều thôn{isles_note}.")


@live.fragment(actor, "coverage")
def live_coverage() -> None:
    """Indicators, the children's coverage (click to drill down), the map and the villages without a team; live."""
    ind = data.read(coverage.fetch_indicators, actor, unit_id=unit.id, as_of=as_of)
    st.subheader(widgets.md(f"{ind.unit} — đến {fmt.day(as_of)}"))
    panels.indicator_cards(ind)
    children = data.read(coverage.fetch_coverage_by_child, actor, unit_id=unit.id, as_of=as_of, **history.by_structure(regroup))
    # Only the open tab is drawn: the map is the dearest chart of the page, and most visits never open it.
    chart_tab, map_tab = st.tabs(["Theo địa bàn trực thuộc", "Bản đồ"], key="coverage_tab", on_change="rerun")
    if chart_tab.open is not False:
        with chart_tab:
            children_view(children)
    if map_tab.open is not False:
        with map_tab:
            map_view()
    missing = data.read(coverage.fetch_uncovered_villages, actor, unit_id=unit.id, as_of=as_of)
    uncovered = ind.villages - ind.villages_covered
    st.subheader(f"Thôn, khối phố chưa có tổ ({fmt.number(uncovered)})")
    if missing.empty:
        st.success("Tất cả thôn, khối phố trong địa bàn đã có Tổ CNSCĐ." if ind.villages else "Địa bàn chưa có thôn, khối phố nào.")
    else:
        if uncovered > len(missing):
            st.caption(f"Hiển thị {fmt.number(len(missing))} thôn đầu tiên; hãy chọn địa bàn nhỏ hơn để xem hết.")
        downloads.table(tables.uncovered_table(missing), name=f"thon-chua-co-to-{unit.id}", key="coverage_uncovered_export",
                        sheet="Thôn chưa có tổ")


live_coverage()
