"""A user's mistake gets a message that names it, never "database unavailable" or the generic error.

A report address edited by hand (?tu=0001-01-01, a future ?den=, not a date at all) and a page pasted into a
search box used to end in "Không kết nối được cơ sở dữ liệu" (PostgreSQL refused the search) or "Đã xảy ra lỗi
ngoài dự kiến" (the date arithmetic of the previous period, or the date widget, broke).
"""

from datetime import date, timedelta

import pytest

from db import limits, units
from db.errors import UserError
from db.meeting import fetch_meeting
from db.teams import fetch_teams
from db.validation import period_from_address, search_text
from tests.pages.conftest import open_page, texts
from ui.guard import DATABASE_UNAVAILABLE, UNEXPECTED

TODAY = date.today()
PASTE = "tam phuoc " * 6000  # 60,000 characters: a page copied into the box


def _messages(at) -> list[str]:  # noqa: ANN001
    """Every alert on the page, backslash escapes resolved (the messages are escaped as user text)."""
    return [a.value.replace("\\", "").replace("\u2060", "") for kind in ("error", "warning") for a in getattr(at, kind)]


def _no_failure(at) -> None:  # noqa: ANN001
    assert not at.exception, [e.value for e in at.exception]
    assert not any(m in (DATABASE_UNAVAILABLE, UNEXPECTED) for m in _messages(at)), _messages(at)


def _reports(app, actor, **params: str):  # noqa: ANN001, ANN003, ANN202
    at = app(actor)
    at.query_params.update(params)
    return at.run().switch_page("pages/reports_page.py").run()


# ---- the rules, in db/ -----------------------------------------------------------------------------


def test_address_dates_are_read_or_named():
    assert period_from_address("2024-01-01", "2024-03-31", today=TODAY) == (date(2024, 1, 1), date(2024, 3, 31))
    assert period_from_address(None, "", today=TODAY) == (None, None)
    cases = {
        ("0001-01-01", None): "Ngày “01/01/0001” trong địa chỉ không hợp lệ",
        ("2024-02-30", None): "Ngày “2024-02-30” trong địa chỉ không hợp lệ",
        ("hôm qua", None): "Ngày “hôm qua” trong địa chỉ không hợp lệ",
        (None, (TODAY + timedelta(days=1)).isoformat()): "Ngày kết thúc không được sau hôm nay",
        ("2024-03-01", "2024-01-01"): "sau ngày kết thúc",
    }
    for (start, end), message in cases.items():
        with pytest.raises(UserError, match=message):
            period_from_address(start, end, today=TODAY)


def test_a_search_text_is_bounded():
    assert search_text("  tam   phuoc ") == "tam phuoc"
    assert search_text("x" * limits.SEARCH_MAX) == "x" * limits.SEARCH_MAX
    with pytest.raises(UserError, match=f"Từ khóa tìm kiếm quá dài \\(tối đa {limits.SEARCH_MAX} ký tự\\)"):
        search_text("x" * (limits.SEARCH_MAX + 1))


def test_reads_refuse_a_pasted_page_and_a_period_before_the_system(session, world):
    with pytest.raises(UserError, match="quá dài"):
        units.search_units(session, actor=world.officer, query=PASTE)
    with pytest.raises(UserError, match="quá dài"):
        fetch_teams(session, actor=world.officer, unit_id=None, query=PASTE)
    with pytest.raises(UserError, match="không được bắt đầu trước ngày 01/01/2018"):
        fetch_meeting(session, actor=world.officer, unit_id=None, start=date(1, 1, 1), end=date(2024, 1, 1))
    # The longest text allowed still reaches the database and simply finds nothing.
    assert units.search_units(session, actor=world.officer, query="tam phuoc " * (limits.SEARCH_MAX // 10)).empty


# ---- what the pages show ---------------------------------------------------------------------------


def test_a_report_address_from_year_one_is_named_and_the_report_shown(app, session, world):
    session.commit()
    at = _reports(app, world.officer, ky="custom", tu="0001-01-01", den="2024-01-01")
    _no_failure(at)
    assert any("Ngày “01/01/0001” trong địa chỉ không hợp lệ" in m for m in _messages(at)), _messages(at)
    assert world.tree.district.name in texts(at)  # the default period's report is shown below the message
    assert date.fromisoformat(at.query_params["tu"]) >= limits.EARLIEST_DATE  # and the address is mended


def test_a_future_end_in_the_report_address_is_named(app, session, world):
    session.commit()
    at = _reports(app, world.officer, ky="custom", tu="2024-01-01", den=(TODAY + timedelta(days=30)).isoformat())
    _no_failure(at)
    assert any("Ngày kết thúc không được sau hôm nay" in m for m in _messages(at)), _messages(at)


def test_presentation_mode_names_a_bad_address_date(app, session, world):
    session.commit()
    at = _reports(app, world.officer, trinhchieu="1", tu="0001-01-01", den="2024-01-01")
    _no_failure(at)
    assert any("Ngày “01/01/0001” trong địa chỉ không hợp lệ" in m for m in _messages(at)), _messages(at)


def test_a_page_pasted_into_the_unit_search_is_named(app, session, world):
    session.commit()
    at = open_page(app(world.officer).run(), "coverage_page")
    at.text_input(key="coverage_nav_q_0").input(PASTE).run()
    _no_failure(at)
    assert any(f"Từ khóa tìm kiếm quá dài (tối đa {limits.SEARCH_MAX} ký tự)" in m for m in _messages(at)), _messages(at)
    assert world.tree.district.name in texts(at)  # the page goes on below the search box


def test_a_page_pasted_into_the_team_filter_is_named(app, session, world):
    session.commit()
    at = open_page(app(world.officer).run(), "teams_page")
    at.text_input(key="teams_list_query").input(PASTE).run()
    _no_failure(at)
    assert any("Từ khóa tìm kiếm quá dài" in m for m in _messages(at)), _messages(at)
