"""The carry-over to the 2025 structure (db/reform.py): villages move as the same rows, past figures of the legacy
units do not change, a 2025 commune's figures are the sums of its villages, it runs once and all or nothing."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import counts, reform
from db.activities import ActivityInput, create_activity, update_activity
from db.coverage import fetch_indicators
from db.errors import PermissionDenied, UserError
from db.models import Activity, AuditEntry, Member, ReformChoice, Team, Unit, UnitPath, UnitSuccession, User
from db.structures import REFORM_DAY
from db.text import fold
from db.units import insert_unit
from seed.units import set_validity
from tests import factories

TODAY = date.today()
PAST_DAYS = (date(2024, 12, 31), date(2025, 6, 30))


@dataclass
class ReformWorld:
    """Legacy Quảng Nam (two districts, three communes) beside a 2025 province of three communes."""

    tree: factories.Tree
    divided: Unit  # legacy Xã Tam Xuân, split between Xã Núi Thành (default) and Xã Tam Hải
    province: Unit  # 2025
    phu_ninh: Unit  # 2025 commune taking the whole of Tam Phước
    nui_thanh: Unit
    tam_hai: Unit
    near_tam_hai: Unit  # a village of the divided commune with coordinates inside Tam Hải
    no_position: Unit  # a village of the divided commune without coordinates
    commune_team: Team


def _new(session: Session, parent: Unit | None, tier: str, kind: str, short: str, code: str,
         lat: float | None = None, lon: float | None = None) -> Unit:
    name = f"{kind} {short}"
    return insert_unit(session, Unit(parent_id=parent.id if parent else None, structure="2025", tier=tier,
                                     level=parent.level + 1 if parent else 1, kind=kind, name=name, short_name=short,
                                     search_name=fold(name), code=code, lat=lat, lon=lon))


def _report(session: Session, team: Team, day: date, people: int) -> None:
    unit = session.get(Unit, team.unit_id)
    assert unit is not None
    commune = unit.id if unit.tier == "commune" else unit.parent_id
    session.add(Activity(team_id=team.id, unit_id=unit.id, commune_id=commune, activity_date=day,
                         activity_type="public_service", people_reached=people))


def build(session: Session) -> ReformWorld:
    """The small world, committed, with teams, members and reports on both sides of 01/07/2025."""
    tree = factories.create_tree(session)
    divided = tree.commune2
    near = factories.create_unit(session, parent=divided, tier="village", kind="Thôn", short="Bãi Hạ")
    near.lat, near.lon = 15.40, 108.70
    bare = factories.create_unit(session, parent=divided, tier="village", kind="Thôn", short="Xuân Trung")
    province = _new(session, None, "province", "Thành phố", "Đà Nẵng", "48")
    phu_ninh = _new(session, province, "commune", "Xã", "Phú Ninh", "20380", 15.50, 108.45)
    nui_thanh = _new(session, province, "commune", "Xã", "Núi Thành", "20968", 15.43, 108.63)
    tam_hai = _new(session, province, "commune", "Xã", "Tam Hải", "20970", 15.41, 108.69)
    session.flush()
    session.add_all([
        UnitSuccession(legacy_id=tree.commune.id, new_id=phu_ninh.id, is_default=True, divided=False),
        UnitSuccession(legacy_id=divided.id, new_id=nui_thanh.id, is_default=True, divided=True, area_km2=80.0),
        UnitSuccession(legacy_id=divided.id, new_id=tam_hai.id, is_default=False, divided=True, area_km2=20.0),
    ])
    set_validity(session)
    teams = [factories.create_team(session, unit=v, members=3 + i, established_on=date(2023, 3, 1))
             for i, v in enumerate([tree.villages[0], tree.villages[1], tree.village_other, near])]
    teams.append(factories.create_team(session, unit=bare, members=2, established_on=date(2024, 1, 1),
                                       closed_on=date(2025, 9, 1)))
    commune_team = factories.create_team(session, unit=tree.commune, members=4, established_on=date(2022, 1, 1))
    for i, team in enumerate(teams):
        for day in (date(2025, 5, 10), date(2025, 6, 30), date(2025, 7, 1), date(2025, 8, 20)):
            _report(session, team, day, 10 + i)
    _report(session, commune_team, date(2025, 3, 3), 7)
    session.flush()
    counts.rebuild(session)
    session.commit()
    return ReformWorld(tree, divided, province, phu_ninh, nui_thanh, tam_hai, near, bare, commune_team)


@pytest.fixture
def rw(session: Session) -> ReformWorld:
    return build(session)


def _figures(session: Session, unit_ids: list[int | None], days: tuple[date, ...]) -> dict:
    return {(u, d): fetch_indicators(session, actor=factories.admin(), unit_id=u, as_of=d).as_dict()
            for u in unit_ids for d in days}


def _dump(session: Session) -> dict:
    return {
        "units": sorted(session.execute(select(Unit.id, Unit.parent_id, Unit.former_parent_id, Unit.structure,
                                               Unit.level)).all()),
        "paths": sorted(session.execute(select(UnitPath.ancestor_id, UnitPath.descendant_id, UnitPath.depth)).all()),
        "activities": sorted(session.execute(select(Activity.id, Activity.commune_id, Activity.unit_id)).all()),
        "teams": sorted(session.execute(select(Team.id, Team.unit_id, Team.closed_on)).all()),
        "audit": session.scalar(select(func.count()).select_from(AuditEntry)),
    }


def test_plan_lists_each_village_with_its_basis(session, rw):
    plan = reform.plan_carry_over(session, actor=factories.admin())
    by_id = plan.villages.set_index("village_id")
    for v in rw.tree.villages:
        assert by_id.loc[v.id, "basis"] == "single" and by_id.loc[v.id, "new_commune_id"] == rw.phu_ninh.id
        assert not by_id.loc[v.id, "to_confirm"] and by_id.loc[v.id, "options"] == []
    assert (by_id.loc[rw.near_tam_hai.id, "basis"], by_id.loc[rw.near_tam_hai.id, "new_commune_id"]) == ("position", rw.tam_hai.id)
    assert (by_id.loc[rw.no_position.id, "basis"], by_id.loc[rw.no_position.id, "new_commune_id"]) == ("default", rw.nui_thanh.id)
    assert by_id.loc[rw.no_position.id, "to_confirm"]
    assert {c for c, _ in by_id.loc[rw.no_position.id, "options"]} == {rw.nui_thanh.id, rw.tam_hai.id}
    assert plan.carried == 0 and plan.missing_mapping == 0
    assert list(plan.commune_teams["team_id"]) == [rw.commune_team.id]
    assert plan.commune_teams.iloc[0]["new_commune_id"] == rw.phu_ninh.id
    assert plan.commune_teams.iloc[0]["members"] == 4


def test_past_figures_stay_and_2025_communes_sum_their_villages(session, rw):
    legacy = [rw.tree.province.id, rw.tree.district.id, rw.tree.district2.id, rw.tree.commune.id, rw.divided.id, None]
    before = _figures(session, legacy, PAST_DAYS)
    result = reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    assert result.villages == 6 and result.skipped == 0
    assert result.reports == 2 * 5  # two reports from 01/07/2025 for each of the five village teams
    assert _figures(session, legacy, PAST_DAYS) == before
    assert counts.differences(session) == []
    for commune in (rw.phu_ninh, rw.nui_thanh, rw.tam_hai):
        villages = list(session.scalars(select(Unit.id).where(Unit.parent_id == commune.id, Unit.tier == "village")))
        open_teams = list(session.scalars(select(Team.id).where(Team.unit_id.in_(villages), Team.closed_on.is_(None))))
        members = session.scalar(select(func.count()).select_from(Member).where(
            Member.team_id.in_(open_teams), Member.left_on.is_(None)))
        got = fetch_indicators(session, actor=factories.admin(), unit_id=commune.id, as_of=TODAY)
        assert (got.villages, got.teams, got.members) == (len(villages), len(open_teams), members)
    province = fetch_indicators(session, actor=factories.admin(), unit_id=rw.province.id, as_of=TODAY)
    assert province.villages == 6


def test_villages_keep_both_trees_and_later_reports_follow(session, rw):
    village = rw.tree.villages[0]
    reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    session.refresh(village)
    assert (village.parent_id, village.former_parent_id, village.structure, village.level) == (
        rw.phu_ninh.id, rw.tree.commune.id, "2025", rw.phu_ninh.level + 1)
    ancestors = set(session.scalars(select(UnitPath.ancestor_id).where(UnitPath.descendant_id == village.id)))
    assert {rw.tree.commune.id, rw.tree.district.id, rw.tree.province.id, rw.phu_ninh.id, rw.province.id} <= ancestors
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "units", AuditEntry.entity_id == village.id)
                            .order_by(AuditEntry.id.desc())).first()
    assert audit is not None and audit.action == "update"
    assert audit.before == {"parent_id": rw.tree.commune.id, "structure": "legacy", "level": rw.tree.commune.level + 1}
    assert audit.after == {"parent_id": rw.phu_ninh.id, "former_parent_id": rw.tree.commune.id, "structure": "2025",
                           "level": rw.phu_ninh.level + 1, "basis": "single"}
    team = session.scalar(select(Team).where(Team.unit_id == village.id))
    assert team is not None
    communes = dict(session.execute(select(Activity.activity_date, Activity.commune_id).where(Activity.team_id == team.id)).all())
    assert communes == {date(2025, 5, 10): rw.tree.commune.id, date(2025, 6, 30): rw.tree.commune.id,
                        date(2025, 7, 1): rw.phu_ninh.id, date(2025, 8, 20): rw.phu_ninh.id}
    # A new report follows the same rule: before 01/07/2025 the legacy commune, from then the 2025 one.
    user = factories.create_user(session, role="volunteer", unit=village, team=team)
    old = create_activity(session, actor=factories.actor_for(user), data=ActivityInput(
        team_id=team.id, activity_date=date(2025, 6, 1), activity_type="public_service", people_reached=3),
        today=TODAY)
    new = create_activity(session, actor=factories.actor_for(user), data=ActivityInput(
        team_id=team.id, activity_date=date(2025, 7, 2), activity_type="public_service", people_reached=3),
        today=TODAY)
    assert (old.commune_id, new.commune_id) == (rw.tree.commune.id, rw.phu_ninh.id)
    session.commit()
    # A correction that moves a report's date across 01/07/2025 moves it to the other tree's commune.
    moved = update_activity(session, actor=factories.admin(), activity_id=old.id, data=ActivityInput(
        team_id=team.id, activity_date=date(2025, 7, 3), activity_type="public_service", people_reached=3), today=TODAY)
    assert moved.commune_id == rw.phu_ninh.id
    session.commit()
    assert counts.differences(session) == []


def test_a_chosen_commune_wins_over_position_and_default(session, rw):
    reform.choose_commune(session, actor=factories.admin(), village_id=rw.no_position.id, commune_id=rw.tam_hai.id)
    session.commit()
    plan = reform.plan_carry_over(session, actor=factories.admin()).villages.set_index("village_id")
    assert (plan.loc[rw.no_position.id, "basis"], plan.loc[rw.no_position.id, "new_commune_id"]) == ("chosen", rw.tam_hai.id)
    assert not plan.loc[rw.no_position.id, "to_confirm"]
    reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    assert session.get(Unit, rw.no_position.id).parent_id == rw.tam_hai.id  # type: ignore[union-attr]


def test_choosing_outside_the_options_is_refused(session, rw):
    with pytest.raises(UserError, match="Hãy chọn một trong các xã mới"):
        reform.choose_commune(session, actor=factories.admin(), village_id=rw.no_position.id, commune_id=rw.phu_ninh.id)
    with pytest.raises(UserError, match="không bị chia tách"):
        reform.choose_commune(session, actor=factories.admin(), village_id=rw.tree.villages[0].id, commune_id=rw.phu_ninh.id)
    assert session.scalar(select(func.count()).select_from(ReformChoice)) == 0


def test_a_second_apply_changes_nothing(session, rw):
    reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    before = _dump(session)
    again = reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    assert (again.villages, again.reports, len(again.moves)) == (0, 0, 0)
    assert _dump(session) == before
    assert reform.plan_carry_over(session, actor=factories.admin()).carried == 6


def test_a_failure_midway_leaves_the_database_as_it_was(session, rw, monkeypatch):
    before = _dump(session)

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(reform, "_add_to_new_scopes", broken)  # after every UPDATE and INSERT of the move
    with pytest.raises(RuntimeError):
        reform.apply_carry_over(session, actor=factories.admin())
    session.rollback()
    assert _dump(session) == before
    monkeypatch.undo()
    assert counts.differences(session) == []


def test_one_province_at_a_time(session, rw):
    other = _new(session, None, "province", "Tỉnh", "Quảng Ngãi", "51")
    session.commit()
    assert reform.plan_carry_over(session, actor=factories.admin(), province_id=other.id).villages.empty
    result = reform.apply_carry_over(session, actor=factories.admin(), province_id=rw.tree.province.id)
    assert result.villages == 6


def test_non_admins_are_refused(session, rw):
    officer = factories.officer_of(session, rw.tree.province)
    for call in (lambda: reform.plan_carry_over(session, actor=officer),
                 lambda: reform.apply_carry_over(session, actor=officer),
                 lambda: reform.flagged_accounts(session, actor=officer),
                 lambda: reform.choose_commune(session, actor=officer, village_id=rw.no_position.id,
                                               commune_id=rw.tam_hai.id)):
        with pytest.raises(PermissionDenied):
            call()
    assert session.get(Unit, rw.tree.villages[0].id).structure == "legacy"  # type: ignore[union-attr]


def test_commune_team_close_and_move(session, rw):
    with pytest.raises(UserError):
        reform.decide_commune_team(session, actor=factories.admin(), team_id=rw.commune_team.id, decision="other")
    reform.decide_commune_team(session, actor=factories.admin(), team_id=rw.commune_team.id, decision="move")
    session.commit()
    legacy = session.get(Team, rw.commune_team.id)
    assert legacy is not None and (legacy.unit_id, legacy.closed_on) == (rw.tree.commune.id, REFORM_DAY)
    assert session.scalar(select(Team.id).where(Team.unit_id == rw.phu_ninh.id, Team.closed_on.is_(None))) is not None
    assert counts.differences(session) == []
    team2 = factories.create_team(session, unit=rw.divided, members=2, established_on=date(2022, 1, 1))
    session.commit()
    with pytest.raises(UserError, match="chia cho nhiều xã mới"):
        reform.decide_commune_team(session, actor=factories.admin(), team_id=team2.id, decision="move")
    reform.decide_commune_team(session, actor=factories.admin(), team_id=team2.id, decision="close")
    session.commit()
    assert session.get(Team, team2.id).closed_on == REFORM_DAY  # type: ignore[union-attr]
    assert set(session.scalars(select(Member.left_on).where(Member.team_id == team2.id))) == {REFORM_DAY}
    assert counts.differences(session) == []


def _open_members(session: Session, team_id: int) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.team_id == team_id, Member.left_on.is_(None))
                                .order_by(Member.id)))


def test_moving_a_commune_team_keeps_the_legacy_past_and_continues_in_the_2025_commune(session, rw):
    _report(session, rw.commune_team, date(2025, 8, 5), 9)
    session.commit()
    legacy = [rw.tree.commune.id, rw.tree.district.id, rw.tree.province.id, None]
    past = _figures(session, legacy, PAST_DAYS)
    before_now = fetch_indicators(session, actor=factories.admin(), unit_id=rw.phu_ninh.id, as_of=TODAY)
    names = [m.full_name for m in _open_members(session, rw.commune_team.id)]
    reform.decide_commune_team(session, actor=factories.admin(), team_id=rw.commune_team.id, decision="move")
    session.commit()
    assert _figures(session, legacy, PAST_DAYS) == past  # Tam Phước still had its team and members on 30/06/2025
    old = session.get(Team, rw.commune_team.id)
    assert old is not None and (old.unit_id, old.closed_on) == (rw.tree.commune.id, REFORM_DAY)
    assert _open_members(session, old.id) == []
    new = session.scalars(select(Team).where(Team.unit_id == rw.phu_ninh.id, Team.closed_on.is_(None))).one()
    assert (new.name, new.established_on) == (old.name, REFORM_DAY)
    copies = _open_members(session, new.id)
    assert [m.full_name for m in copies] == names and {m.joined_on for m in copies} == {REFORM_DAY}
    assert [m.role for m in copies].count("leader") == 1
    later = session.scalars(select(Activity).where(Activity.activity_date >= REFORM_DAY,
                                                   Activity.team_id.in_([old.id, new.id]))).all()
    assert [(a.team_id, a.unit_id, a.commune_id) for a in later] == [(new.id, rw.phu_ninh.id, rw.phu_ninh.id)]
    now = fetch_indicators(session, actor=factories.admin(), unit_id=rw.phu_ninh.id, as_of=TODAY)
    assert (now.teams - before_now.teams, now.members - before_now.members) == (1, len(names))
    assert now.communes_with_team == 1 and now.people_reached - before_now.people_reached == 9
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "teams", AuditEntry.entity_id == old.id)
                            .order_by(AuditEntry.id.desc())).first()
    assert audit is not None and audit.after["target_team_id"] == new.id and audit.after["decision"] == "move"
    assert counts.differences(session) == []


def test_moving_into_a_2025_commune_with_an_open_team_merges_the_members(session, rw):
    target = factories.create_team(session, unit=rw.phu_ninh, members=2, established_on=date(2025, 7, 1))
    _open_members(session, target.id)[0].full_name = "Trần Thị Hoa"  # the target's own leader, nobody's twin
    twin = _open_members(session, rw.commune_team.id)[1]  # "Thành viên 2", born 1991: already in the target team
    assert any(m.full_name == twin.full_name and m.birth_year == twin.birth_year
               for m in _open_members(session, target.id))
    session.commit()
    reform.decide_commune_team(session, actor=factories.admin(), team_id=rw.commune_team.id, decision="move")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Team).where(Team.unit_id == rw.phu_ninh.id)) == 1
    members = _open_members(session, target.id)
    assert len(members) == 2 + 4 - 1
    assert [m.role for m in members].count("leader") == 1
    assert members[0].role == "leader" and members[2].role == "deputy"  # the moved team's leader
    assert session.get(Team, rw.commune_team.id).closed_on == REFORM_DAY  # type: ignore[union-attr]
    assert counts.differences(session) == []


def test_closing_a_team_with_later_reports_is_refused(session, rw):
    team = factories.create_team(session, unit=rw.divided, members=1, established_on=date(2022, 1, 1))
    _report(session, team, date(2025, 7, 5), 4)
    session.commit()
    with pytest.raises(UserError, match="báo cáo từ ngày 01/07/2025"):
        reform.decide_commune_team(session, actor=factories.admin(), team_id=team.id, decision="close")


def test_flagged_accounts_and_rebinding(session, rw):
    officer = factories.create_user(session, role="officer", unit=rw.tree.commune, username="canbo.tamphuoc")
    district = factories.create_user(session, role="officer", unit=rw.tree.district2, username="canbo.nuithanh")
    session.commit()
    flagged = reform.flagged_accounts(session, actor=factories.admin()).set_index("username")
    assert flagged.loc["canbo.tamphuoc", "suggested_unit_id"] == rw.phu_ninh.id
    assert flagged.loc["canbo.nuithanh", "suggested_unit_id"] == rw.province.id
    assert {u for u, _ in flagged.loc["canbo.nuithanh", "options"]} == {rw.province.id, rw.nui_thanh.id, rw.tam_hai.id}
    with pytest.raises(UserError):
        reform.rebind_account(session, actor=factories.admin(), user_id=officer.id, unit_id=rw.tree.commune.id)
    reform.rebind_account(session, actor=factories.admin(), user_id=officer.id, unit_id=rw.phu_ninh.id)
    session.commit()
    assert session.get(User, officer.id).unit_id == rw.phu_ninh.id  # type: ignore[union-attr]
    assert "canbo.tamphuoc" not in set(reform.flagged_accounts(session, actor=factories.admin())["username"])
    assert district.id in set(reform.flagged_accounts(session, actor=factories.admin())["user_id"])


def test_workbooks_have_vietnamese_headers(session, rw):
    from io import BytesIO

    from openpyxl import load_workbook

    plan = reform.plan_carry_over(session, actor=factories.admin())
    book = load_workbook(BytesIO(reform.plan_workbook(plan)))
    sheet = book["Thôn chuyển sang xã mới"]
    assert [c.value for c in sheet[1]][:2] == ["Thôn", "Xã cũ"]
    assert sheet.max_row == len(plan.villages) + 1
    result = reform.apply_carry_over(session, actor=factories.admin())
    book = load_workbook(BytesIO(reform.result_workbook(result)))
    assert book["Thôn đã chuyển"].max_row == 7


def test_command_line_dry_run_writes_nothing_then_applies(session, rw, capsys):
    from db.__main__ import main

    before = _dump(session)
    session.close()
    assert main(["reform", "--to", "2025", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Thôn sẽ chuyển sang xã mới: 6" in out and "chưa ghi gì" in out
    assert _dump(session) == before
    session.close()
    assert main(["reform", "--to", "2025"]) == 0
    assert "Đã chuyển 6 thôn" in capsys.readouterr().out
    assert session.scalar(select(func.count()).select_from(Unit).where(Unit.former_parent_id.is_not(None))) == 6


def test_a_one_percent_national_dataset_keeps_past_figures_and_sums(engine, session):
    """1,000 villages and 20,000 reports over the official units of both structures, carried over at once."""
    from seed.national import load_national
    from seed.units import load_both

    load_national(engine, villages=1_000, activities=20_000, seed=7, progress=lambda _m: None)
    load_both(session, structures=("2025",), progress=lambda _m: None)
    session.commit()
    provinces = list(session.scalars(select(Unit.id).where(Unit.tier == "province", Unit.structure == "legacy")
                                     .order_by(Unit.id).limit(5)))
    past = _figures(session, [None, *provinces], PAST_DAYS)
    today_before = fetch_indicators(session, actor=factories.admin(), unit_id=None, as_of=TODAY)
    result = reform.apply_carry_over(session, actor=factories.admin())
    session.commit()
    assert result.villages + result.skipped == 1_000 and result.villages > 900
    assert _figures(session, [None, *provinces], PAST_DAYS) == past
    after = fetch_indicators(session, actor=factories.admin(), unit_id=None, as_of=TODAY)
    keep = ("villages", "villages_covered", "teams", "members", "activities", "people_reached")
    assert {k: getattr(after, k) for k in keep} == {k: getattr(today_before, k) for k in keep}
    assert counts.differences(session) == []
    for province_id in session.scalars(select(Unit.id).where(Unit.tier == "province", Unit.structure == "2025")):
        villages = session.scalar(select(func.count()).select_from(Unit).join(UnitPath, UnitPath.descendant_id == Unit.id)
                                  .where(UnitPath.ancestor_id == province_id, Unit.tier == "village"))
        by_commune = session.scalar(select(func.count()).select_from(Unit).where(
            Unit.tier == "village", Unit.parent_id.in_(select(Unit.id).where(Unit.parent_id == province_id))))
        got = fetch_indicators(session, actor=factories.admin(), unit_id=province_id, as_of=TODAY)
        assert got.villages == villages == by_commune


def test_a_killed_carry_over_process_leaves_the_database_as_it_was(session, rw, db_url, tmp_path):
    """`python -m db reform --to 2025` killed with SIGKILL after its UPDATEs and INSERTs, before the commit."""
    import os
    import signal
    import subprocess
    import sys

    before = _dump(session)
    session.close()
    # The child kills itself where the kept tables are recounted: every move of the villages is written by then.
    script = ("import os, signal, sys\n"
              "from db import reform\n"
              "reform._add_to_new_scopes = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
              "from db.__main__ import main\n"
              "sys.exit(main(['reform', '--to', '2025']))\n")
    env = {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "data")}
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert _dump(session) == before
    assert counts.differences(session) == []


def test_command_line_one_province_and_a_plan_workbook(session, rw, capsys, tmp_path):
    from db.__main__ import main

    plan = tmp_path / "ke-hoach.xlsx"
    session.close()
    assert main(["reform", "--to", "2025", "--dry-run", "--province", "Thành phố Đà Nẵng", "--plan", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "Thôn sẽ chuyển sang xã mới: 6" in out and plan.stat().st_size > 0
    assert main(["reform", "--to", "2025", "--dry-run", "--province", "Không có tỉnh này"]) == 2
    assert session.scalar(select(func.count()).select_from(Unit).where(Unit.former_parent_id.is_not(None))) == 0
