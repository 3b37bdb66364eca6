"""Sắp xếp địa giới: the national administrator previews, confirms and applies the carry-over, decides the legacy
communes' teams and rebinds accounts of units that ended; no one else reaches the page."""

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from db import reform
from db.auth import actor_of
from db.models import Member, ReformChoice, Team, Unit, User
from db.structures import REFORM_DAY
from report import fmt
from tests import factories
from tests.db.test_reform import ReformWorld, build
from tests.factories import count_rows
from tests.pages.conftest import button, open_address, open_page, texts
from ui import carry_over


@pytest.fixture
def rw(session) -> ReformWorld:  # noqa: ANN001
    return build(session)


def admin_page(app, session):  # noqa: ANN001, ANN201
    """The carry-over page as a national administrator with a real account (writes check it is still signed in)."""
    admin = factories.create_user(session, role="admin", username="quantri.sx")
    session.commit()
    at = open_page(app(actor_of(admin)).run(), "reform_page")
    assert not at.exception and not at.error
    return at


def metric(at, label: str) -> str:  # noqa: ANN001
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("role", ["officer", "leader"])
def test_only_the_administrator_reaches_the_page(app, session, rw, role):
    user = factories.create_user(session, role=role, unit=rw.province, username=f"{role}.sx")
    session.commit()
    at = app(actor_of(user)).run()
    assert "Sắp xếp địa giới" not in [link.label for link in at.sidebar.get("page_link")]
    at = open_address(at, "reform")
    assert "Không tìm thấy trang" in texts(at)
    assert not at.get("metric")


def test_the_preview_counts_the_villages_and_a_divided_commune_is_confirmed_per_village(app, session, rw):
    at = admin_page(app, session)
    plan = reform.plan_carry_over(session, actor=factories.admin())
    assert metric(at, "Thôn sẽ chuyển") == fmt.number(int(plan.villages["new_commune_id"].notna().sum()))
    divided = plan.villages.loc[plan.villages["legacy_commune_id"] == rw.divided.id]
    assert len(divided) == 3 and divided["to_confirm"].all()
    assert metric(at, "Thôn cần xác nhận") == "3"
    assert [b.label for b in at.get("download_button")][0:1] == ["Tải Excel"]
    assert "Tải bản xem trước (Excel)" in [b.label for b in at.get("download_button")]
    by_commune = at.dataframe[0].value
    assert set(by_commune["Xã mới"]) == {"Xã Phú Ninh", "Xã Núi Thành", "Xã Tam Hải"}
    assert by_commune["Tổng số thôn"].map(lambda n: int(n.replace(".", ""))).sum() == len(plan.villages)

    # The divided commune's villages, each with its own options; the one without coordinates goes to Tam Hải.
    at.selectbox(key=f"reform_choice_{rw.no_position.id}").select(rw.tam_hai.id)
    button(at, "Lưu lựa chọn").click().run()
    assert not at.error
    assert "Đã lưu lựa chọn xã mới cho 3 thôn." in [s.value for s in at.success]
    session.expire_all()
    chosen = dict(session.execute(select(ReformChoice.village_id, ReformChoice.commune_id)).all())
    # The changed one as chosen, the others confirmed as the preview placed them.
    expected = dict(zip(divided["village_id"], divided["new_commune_id"].astype(int), strict=True))
    assert chosen == expected | {rw.no_position.id: rw.tam_hai.id}
    assert expected[rw.no_position.id] == rw.nui_thanh.id  # the default, changed on the page
    assert metric(at, "Thôn cần xác nhận") == "0"


def test_the_carry_over_waits_for_the_confirmation_then_moves_and_reports_in_vietnamese(app, session, rw):
    at = admin_page(app, session)
    assert button(at, "Chuyển sổ sang địa giới mới").disabled
    at.checkbox(key="reform_agree_0").check().run()
    button(at, "Chuyển sổ sang địa giới mới").click().run()
    assert not at.error
    session.expire_all()
    moved = session.scalars(select(Unit).where(Unit.tier == "village", Unit.former_parent_id.is_not(None))).all()
    assert len(moved) == 6 and all(v.structure == "2025" for v in moved)
    (done,) = [s.value for s in at.success if s.value.startswith("Ngày")]
    assert done.startswith(f"Ngày {fmt.day(date.today())}: đã chuyển 6 thôn, ")
    assert "Tải kết quả (Excel)" in [b.label for b in at.get("download_button")]
    assert metric(at, "Thôn sẽ chuyển") == "0" and metric(at, "Thôn đã chuyển trước đó") == "6"
    assert "Không còn thôn nào theo địa giới cũ cần chuyển trong phạm vi này." in [s.value for s in at.success]
    assert not at.checkbox(key="reform_agree_1").value  # a second carry-over asks again


def test_a_commune_team_moved_into_a_commune_with_a_team_joins_it_and_keeps_its_past(app, session, rw):
    # Xã Phú Ninh (2025) already has a team of its own: the legacy commune's team closes on 01/07/2025 and its
    # open members join that team.
    target = factories.create_team(session, unit=rw.phu_ninh, name="Tổ CNSCĐ Xã Phú Ninh", established_on=date(2025, 8, 1))
    session.commit()
    moving = count_rows(session, Member, Member.team_id == rw.commune_team.id, Member.left_on.is_(None))
    before = count_rows(session, Member, Member.team_id == target.id)
    at = admin_page(app, session)
    assert at.selectbox(key="reform_team_pick").value == rw.commune_team.id
    button(at, "Chuyển sang xã mới").click().run()
    assert not at.error
    assert f"{rw.commune_team.name} đã chuyển sang {rw.phu_ninh.name}." in [s.value for s in at.success]
    session.expire_all()
    legacy = session.get(Team, rw.commune_team.id)
    assert (legacy.unit_id, legacy.closed_on) == (rw.tree.commune.id, REFORM_DAY)
    assert count_rows(session, Member, Member.team_id == target.id) == before + moving > before
    assert "Tổ cấp xã của xã cũ (0)" in texts(at)


def test_a_commune_team_is_closed_from_the_reform_day(app, session, rw):
    at = admin_page(app, session)
    button(at, "Đóng từ 01/07/2025").click().run()
    assert not at.error
    session.expire_all()
    assert session.get(Team, rw.commune_team.id).closed_on == REFORM_DAY
    assert "Tổ cấp xã của xã cũ (0)" in texts(at)


def test_a_flagged_account_is_counted_on_the_users_page_and_rebound_to_the_suggestion(app, session, rw):
    leader = factories.create_user(session, role="leader", unit=rw.tree.commune, username="lanhdao.tamphuoc")
    admin = factories.create_user(session, role="admin", username="quantri.tk")
    session.commit()
    at = open_page(app(actor_of(admin)).run(), "users_page")
    assert [w.value for w in at.warning] == [
        "1 tài khoản đang gắn với đơn vị không còn từ 01/07/2025 (sắp xếp đơn vị hành chính) và chờ gán đơn vị mới."]
    assert "Gán đơn vị mới ở trang Sắp xếp địa giới" in [link.label for link in at.get("page_link")]

    at = open_page(at, "reform_page")
    assert at.selectbox(key=f"reform_account_unit_{leader.id}").value == rw.phu_ninh.id  # the suggestion preselected
    button(at, "Gán đơn vị mới").click().run()
    assert not at.error
    session.expire_all()
    assert session.get(User, leader.id).unit_id == rw.phu_ninh.id
    assert "Tài khoản gắn với đơn vị không còn (0)" in texts(at)
    at = open_page(at, "users_page")
    assert not at.warning


def test_the_preview_table_counts_by_basis_and_the_result_reads_in_vietnamese():
    villages = pd.DataFrame({
        "village_id": range(1, 6), "new_province": ["Thành phố Đà Nẵng"] * 4 + [None],
        "new_commune": ["Xã Phú Ninh", "Xã Phú Ninh", "Xã Tam Hải", "Xã Tam Hải", None],
        "basis": ["single", "single", "position", "chosen", "none"],
    })
    table = carry_over.preview_by_commune(villages)
    assert list(table.columns) == ["Tỉnh mới", "Xã mới", "Cả xã cũ vào một xã mới", "Xã bị chia tách: theo vị trí của thôn",
                                   "Xã bị chia tách: cán bộ đã chọn", "Không có xã mới tương ứng", "Tổng số thôn"]
    rows = {r["Xã mới"]: r for r in table.to_dict("records")}
    assert rows["Xã Phú Ninh"]["Cả xã cũ vào một xã mới"] == "2" and rows["Xã Tam Hải"]["Tổng số thôn"] == "2"
    assert rows[carry_over.NO_COMMUNE]["Không có xã mới tương ứng"] == "1"
    result = reform.CarryOverResult(villages=12345, teams=1200, members=9876, reports=100000, skipped=3)
    assert carry_over.result_text(result, date(2026, 12, 2)) == (
        "Ngày 02/12/2026: đã chuyển 12.345 thôn, 1.200 tổ, 9.876 thành viên và 100.000 báo cáo từ ngày 01/07/2025 "
        "sang địa giới mới. 3 thôn chưa có xã mới tương ứng nên được giữ nguyên.")


def test_an_administrator_bound_to_a_unit_is_refused_by_the_data_layer(app, session, rw):
    admin = factories.create_user(session, role="admin", unit=rw.province, username="quantri.danang")
    session.commit()
    at = open_page(app(actor_of(admin)).run(), "reform_page")
    assert not at.exception
    assert [e.value for e in at.error] == ["Chỉ quản trị viên toàn quốc được chuyển dữ liệu sang địa giới mới."]
    assert not at.get("metric") and not [b for b in at.button if b.label == "Chuyển sổ sang địa giới mới"]
