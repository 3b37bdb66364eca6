"""Page sections shared by several pages: the indicator cards and the coverage block."""

import streamlit as st

from db.queries import Indicators
from ui import fmt


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
