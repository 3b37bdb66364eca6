"""The "Sắp xếp" switch next to each bar chart of units: worst first by default, Vietnamese name order after a flip."""

import json
from datetime import date, timedelta

import pytest

from db import activities
from db import recommendations as recs
from db.auth import SYSTEM, actor_of
from tests import factories
from tests.pages.conftest import open_page

NAME_ORDER = ["Huyện Đại Lộc", "Huyện Núi Thành", "Huyện Phú Ninh"]  # byte order puts Đại Lộc last


def chart_sorts(at, title: str) -> list[list[str]]:  # noqa: ANN001 - the AppTest
    """The y sort of every view of the chart with this title, read from the spec sent to the browser."""
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("title") == title:
            return [view["encoding"]["y"]["sort"] for view in spec.get("layer", [spec])]
    raise AssertionError(f"no chart titled {title!r}")


def flip(at, key: str):  # noqa: ANN001, ANN201 - AppTest
    """Click "Theo tên" on the switch."""
    switch = at.segmented_control(key=key)
    assert switch.label == "Sắp xếp" and switch.value == "worst"
    return switch.set_value("name").run()


@pytest.fixture
def province_officer(session):  # noqa: ANN001, ANN201
    """An officer of Tỉnh Quảng Nam over three districts whose coverage, reporting and recommendations differ."""
    tree = factories.create_tree(session)
    dai_loc = factories.create_unit(session, parent=tree.province, tier="district", kind="Huyện", short="Đại Lộc")
    commune = factories.create_unit(session, parent=dai_loc, tier="commune", kind="Xã", short="Đại Hiệp")
    village = factories.create_unit(session, parent=commune, tier="village", kind="Thôn", short="Phú Hòa")
    start = date(2022, 7, 1)
    factories.create_team(session, unit=tree.villages[0], established_on=start)  # Phú Ninh: 1 of 3 villages
    busy = factories.create_team(session, unit=tree.village_other, established_on=start)  # Núi Thành: 1 of 1
    factories.create_team(session, unit=village, established_on=start)  # Đại Lộc: 1 of 1
    officer = factories.create_user(session, role="officer", unit=tree.province, username="canbo.quangnam")
    session.commit()
    activities.create_activity(session, actor=SYSTEM, data=activities.ActivityInput(
        team_id=busy.id, activity_date=date.today() - timedelta(days=3), activity_type="training", people_reached=20))
    for unit, times in ((tree.commune2, 2), (commune, 1), (tree.commune, 1)):
        for i in range(times):
            recs.create_recommendation(session, actor=SYSTEM, unit_id=unit.id, category="recommendation", text=f"Kiến nghị {i}")
    session.commit()
    return actor_of(officer)


@pytest.mark.parametrize(("page", "tab", "key", "title", "worst"), [
    # Coverage: Phú Ninh 33%, then the two at 100% by name.
    ("overview_page", None, "overview_chart_order", "Tỷ lệ thôn có Tổ CNSCĐ",
     ["Huyện Phú Ninh", "Huyện Đại Lộc", "Huyện Núi Thành"]),
    ("coverage_page", None, "coverage_chart_order", "Tỷ lệ thôn có Tổ CNSCĐ",
     ["Huyện Phú Ninh", "Huyện Đại Lộc", "Huyện Núi Thành"]),
    ("reports_page", ("reports_tab", "Tải về"), "reports_coverage_order", "Tỷ lệ thôn có Tổ CNSCĐ",
     ["Huyện Phú Ninh", "Huyện Đại Lộc", "Huyện Núi Thành"]),
    # Reporting: Đại Lộc and Phú Ninh silent (0%, by name), Núi Thành reported.
    ("activities_page", ("activities_tab", "Tình hình báo cáo"), "activities_reporting_order",
     "Tỷ lệ tổ có báo cáo trong kỳ", ["Huyện Đại Lộc", "Huyện Phú Ninh", "Huyện Núi Thành"]),
    # Recommendations: the most first (Núi Thành 2), then by name.
    ("feedback_page", None, "feedback_charts_order", "Kiến nghị theo địa bàn và trạng thái",
     ["Huyện Núi Thành", "Huyện Đại Lộc", "Huyện Phú Ninh"]),
])
def test_the_switch_reorders_the_chart(app, province_officer, page, tab, key, title, worst):  # noqa: ANN001
    at = app(province_officer).run()
    if tab:  # only the open tab runs: open it as a click does
        at.session_state[tab[0]] = tab[1]
    at = open_page(at, page)
    assert not at.exception
    assert chart_sorts(at, title) == [worst] * len(chart_sorts(at, title))
    at = flip(at, key)
    assert not at.exception
    sorts = chart_sorts(at, title)
    assert sorts and all(s == NAME_ORDER for s in sorts)
    assert at.segmented_control(key=key).value == "name"  # kept across reruns by its key
