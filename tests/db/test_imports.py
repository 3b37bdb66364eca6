"""Excel import: the spreadsheets officers really keep, previewed, refused or written all at once (both backends)."""

import io
import re
import time
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from db import imports
from db.auth import SYSTEM
from db.errors import PermissionDenied, UserError
from db.imports import apply_import, plan_import, read_workbook
from db.models import AuditEntry, Member, Team, Unit, UnitPath
from db.versions import fetch_data_version
from report import templates
from report.excel import to_xlsx
from tests import factories
from tests.factories import count_rows, row_counts

TODAY = date(2026, 11, 20)
TABLES = (Unit, UnitPath, Team, Member, AuditEntry)


def xlsx(*rows: list, merges: tuple[str, ...] = (), title: str = "Danh sách", extra: dict[str, list[list]] | None = None) -> bytes:
    """A real .xlsx made with openpyxl: the rows as given (None for an empty cell), ranges merged."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    for name, sheet_rows in (extra or {}).items():
        other = wb.create_sheet(name)
        for row in sheet_rows:
            other.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _version(session) -> int:  # noqa: ANN001
    return fetch_data_version(session)



def _import(session, actor, data: bytes, **kwargs) -> imports.ImportPlan:  # noqa: ANN001, ANN003
    """Apply in one transaction, as the page and the command line do."""
    plan = apply_import(session, actor=actor, source=data, today=TODAY, **kwargs)
    session.commit()
    return plan


def _plan(session, actor, data: bytes, **kwargs) -> imports.ImportPlan:  # noqa: ANN001, ANN003
    plan = plan_import(session, actor=actor, source=data, today=TODAY, **kwargs)
    session.rollback()
    return plan


def _members(session, team_id: int) -> dict[str, Member]:  # noqa: ANN001
    return {m.full_name: m for m in session.scalars(select(Member).where(Member.team_id == team_id))}


def _team_of(session, unit_name: str) -> Team:  # noqa: ANN001
    return session.scalar(select(Team).join(Unit, Unit.id == Team.unit_id).where(Unit.name == unit_name))


# The shape officers keep: a title, a blank line, upper-case headers without diacritics, the village and team
# cells merged down over the team's members, dates as text and as real dates, phones every which way,
# then the signature block.
MESSY = [
    ["UBND HUYỆN PHÚ NINH"],
    ["DANH SÁCH THÀNH VIÊN TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG", None, None, None, None, None, None, None, None, None, None],
    [],
    ["STT", "THON, KHOI PHO", "XA, PHUONG, THI TRAN", "HUYỆN", "SO QUYET DINH", "NGAY THANH LAP", "HO VA TEN",
     "GIOI TINH", "NAM SINH", "SO DIEN THOAI", "CHUC DANH TRONG TO", "DON VI", "CHỨC VỤ"],
    [1, "Phú Mỹ", "Tam Phước", "Phú Ninh", "125/QĐ-UBND", "01/07/2022", "Nguyễn Văn Hùng", "Nam", 1990,
     "+84 905 123 456", "Tổ trưởng", "Đoàn Thanh niên", "Bí thư Chi đoàn"],
    [2, None, "Xã Tam Phước", "Phú Ninh", None, None, "Trần Thị Lan", "Nữ", "1998", "0905.123.457", "Tổ phó",
     "Hội LHPN", None],
    [3, None, "tam phuoc", "phu ninh", None, None, "Lê Văn Cường", "nam", 1985, "0905 123 458", "Thành viên",
     "VNPT", "Nhân viên kỹ thuật"],
    [4, "Thôn Hòa Bình Mới", "Xã Tam Phước", None, 126, datetime(2022, 8, 15), "Phạm Thị Dung", "NỮ", 1995,
     905123459, "TỔ TRƯỞNG", "UBND xã / công chức", "Công chức VH-XH"],
    [5, None, "Xã Tam Phước", None, None, None, "Võ Văn Em", "Nam", 2000, None, "Thành viên", "Công an", None],
    [6, None, "Xã Tam Phước", None, "127/QĐ-UBND", "20/8/2022", "Huỳnh Thị Giang", "Nữ", 1979, "84905123460",
     "Tổ trưởng", "Khác", "PCT UBND xã"],
    [],
    [None, "Người lập biểu", None, None, None, None, None, None, None, "Tam Phước, ngày 25 tháng 8 năm 2022"],
    [None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, None, "TM. UBND XÃ"],
    [None, "Nguyễn Thị Lập", None, None, None, None, None, None, None, "Trần Văn Chủ"],
]
# B5:B7 the village merged over its three members, E5:F7 the decision and date; row 8–9 another village.
MESSY_MERGES = ("B5:B7", "E5:E7", "F5:F7", "B8:B9", "E8:E9", "F8:F9")


def test_the_messy_sheet_officers_keep_imports(session, world):
    tree, officer = world.tree, world.officer
    before = row_counts(session, TABLES)
    version = _version(session)
    plan = _import(session, officer, xlsx(*MESSY, merges=MESSY_MERGES))
    assert plan.ok, plan.problems
    assert (plan.villages_created, plan.teams_created, plan.members_created) == (1, 3, 6)
    after = row_counts(session, TABLES)
    assert after["units"] == before["units"] + 1
    assert after["teams"] == before["teams"] + 3
    assert after["members"] == before["members"] + 6
    # One audit row per record written, one data-version bump for the whole import.
    assert after["audit_log"] == before["audit_log"] + 1 + 3 + 6
    assert _version(session) == version + 1

    phu_my = _team_of(session, "Thôn Phú Mỹ")
    assert (phu_my.name, phu_my.decision_no, phu_my.established_on) == ("Tổ CNSCĐ Thôn Phú Mỹ", "125/QĐ-UBND", date(2022, 7, 1))
    people = _members(session, phu_my.id)
    assert set(people) == {"Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Cường"}  # not the signatures
    hung, lan, cuong = people["Nguyễn Văn Hùng"], people["Trần Thị Lan"], people["Lê Văn Cường"]
    assert (hung.phone, hung.role, hung.gender, hung.birth_year, hung.organisation, hung.position) == (
        "0905123456", "leader", "male", 1990, "youth_union", "Bí thư Chi đoàn")
    assert (lan.phone, lan.role, lan.gender, lan.birth_year, lan.organisation) == ("0905123457", "deputy", "female", 1998, "women_union")
    assert (cuong.organisation, cuong.joined_on) == ("telecom_post", date(2022, 7, 1))

    village = session.scalar(select(Unit).where(Unit.name == "Thôn Hòa Bình Mới"))
    assert (village.parent_id, village.kind, village.short_name, village.tier) == (tree.commune.id, "Thôn", "Hòa Bình Mới", "village")
    ancestors = set(session.scalars(select(UnitPath.ancestor_id).where(UnitPath.descendant_id == village.id)))
    assert ancestors == {village.id, tree.commune.id, tree.district.id, tree.province.id}
    hoa_binh = _team_of(session, "Thôn Hòa Bình Mới")
    assert (hoa_binh.decision_no, hoa_binh.established_on) == ("126", date(2022, 8, 15))
    dung = _members(session, hoa_binh.id)["Phạm Thị Dung"]
    assert (dung.phone, dung.role, dung.organisation) == ("0905123459", "leader", "commune_staff")

    # A row with the commune and no village is the commune's own team (tổ xã).
    commune_team = _team_of(session, "Xã Tam Phước")
    assert (commune_team.decision_no, commune_team.established_on) == ("127/QĐ-UBND", date(2022, 8, 20))
    assert _members(session, commune_team.id)["Huỳnh Thị Giang"].phone == "0905123460"

    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "members", AuditEntry.entity_id == hung.id)).one()
    assert (audit.user_id, audit.action, audit.after["phone"]) == (officer.user_id, "create", "0905123456")


def test_importing_the_same_file_twice_creates_nothing_new(session, world):
    officer = world.officer
    data = xlsx(*MESSY, merges=MESSY_MERGES)
    _import(session, officer, data)
    before, version = row_counts(session, TABLES), _version(session)
    again = _plan(session, officer, data)
    assert again.ok and again.changes == 0
    assert {r.village for r in again.rows} <= {"Đã có", "—"}
    assert {r.team_action for r in again.rows} == {"Đã có"}
    assert {r.member_action for r in again.rows} == {"Đã có"}
    _import(session, officer, data)
    assert row_counts(session, TABLES) == before
    assert _version(session) == version  # nothing written, nothing to refresh


def test_a_second_import_updates_what_changed(session, world):
    officer = world.officer
    _import(session, officer, xlsx(*MESSY, merges=MESSY_MERGES))
    changed = [list(r) for r in MESSY]
    changed[4][9] = "0912 000 111"  # Hùng's new phone
    changed[5][6] = "TRAN THI LAN"  # the same person written without diacritics
    changed[5][10] = "Thành viên"
    changed[4][4] = "125/QĐ-UBND (sửa)"
    plan = _plan(session, officer, xlsx(*changed, merges=MESSY_MERGES))
    assert plan.ok, plan.problems
    assert (plan.members_created, plan.members_updated, plan.teams_updated) == (0, 2, 1)
    lines = {r.member: r for r in plan.rows}
    assert lines["Nguyễn Văn Hùng"].member_action == "Cập nhật: điện thoại"
    assert lines["TRAN THI LAN"].member_action == "Cập nhật: vai trò"
    assert lines["Nguyễn Văn Hùng"].team_action == "Cập nhật: số quyết định"
    _import(session, officer, xlsx(*changed, merges=MESSY_MERGES))
    team = _team_of(session, "Thôn Phú Mỹ")
    people = _members(session, team.id)
    assert people["Nguyễn Văn Hùng"].phone == "0912000111"
    assert people["Trần Thị Lan"].role == "member"  # the stored spelling is kept
    assert team.decision_no == "125/QĐ-UBND (sửa)"
    audit = session.scalars(select(AuditEntry).where(AuditEntry.entity == "members", AuditEntry.action == "update",
                                                     AuditEntry.entity_id == people["Nguyễn Văn Hùng"].id)).one()
    assert (audit.before["phone"], audit.after["phone"]) == ("0905123456", "0912000111")


def test_members_join_an_existing_team_and_its_leader_stays_single(session, world):
    tree, officer = world.tree, world.officer
    team = factories.create_team(session, unit=tree.villages[1], members=2)  # "Thành viên 1" is its Tổ trưởng
    session.commit()
    header = ["Thôn", "Xã", "Họ và tên", "Vai trò"]
    plan = _plan(session, officer, xlsx(header, ["Khánh Thọ", "Tam Phước", "Mới Một", "Tổ trưởng"]))
    assert not plan.ok
    assert "đã có Tổ trưởng “Thành viên 1”" in plan.problems[0].message
    assert (plan.problems[0].row, plan.problems[0].column) == (2, "Vai trò")
    # Handing the role over in the same file is allowed: the old leader becomes a member.
    plan = _import(session, officer, xlsx(header, ["Khánh Thọ", "Tam Phước", "Mới Một", "Tổ trưởng"],
                                          ["Khánh Thọ", "Tam Phước", "thành viên 1", "Thành viên"]))
    assert (plan.teams_created, plan.members_created, plan.members_updated) == (0, 1, 1)
    roles = {m.full_name: m.role for m in _members(session, team.id).values()}
    assert roles == {"Thành viên 1": "member", "Thành viên 2": "member", "Mới Một": "leader"}
    assert _members(session, team.id)["Mới Một"].joined_on == team.established_on


def test_two_leaders_in_the_file_are_refused(session, world):
    officer = world.officer
    data = xlsx(["Thôn", "Xã", "Ngày thành lập", "Họ và tên", "Vai trò"],
                ["Phú Mỹ", "Tam Phước", "01/07/2022", "A", "Tổ trưởng"],
                ["Phú Mỹ", "Tam Phước", "01/07/2022", "B", "Tổ trưởng"])
    plan = _plan(session, officer, data)
    assert [(p.row, p.column) for p in plan.problems] == [(3, "Vai trò")]
    assert "một Tổ trưởng" in plan.problems[0].message


def test_headers_two_rows_numbering_and_split_birth_year_columns(session, world):
    """A two-row header (Năm sinh over Nam | Nữ), a "(1) (2) (3)" row under it, ticks and years."""
    tree, officer = world.tree, world.officer
    rows = [
        ["DANH SÁCH"],
        ["TT", "Họ và tên", "Năm sinh", None, "Thôn", "Xã", "Ngày QĐ"],
        [None, None, "Nam", "Nữ", None, None, None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        [1, "Đinh Văn Sơn", 1991, None, "Đàn Thượng", "Tam Phước", "05/09/2022"],
        [2, "Mai Thị Thu", None, "1999", "Đàn Thượng", "Tam Phước", None],
        [3, "Lý Thị Hoa", None, "x", "Đàn Thượng", "Tam Phước", None],
    ]
    data = xlsx(*rows, merges=("A2:A3", "B2:B3", "C2:D2", "E2:E3", "F2:F3", "G2:G3"))
    plan = _import(session, officer, data)
    assert plan.ok and plan.members_created == 3
    people = _members(session, _team_of(session, "Thôn Đàn Thượng").id)
    assert (people["Đinh Văn Sơn"].gender, people["Đinh Văn Sơn"].birth_year) == ("male", 1991)
    assert (people["Mai Thị Thu"].gender, people["Mai Thị Thu"].birth_year) == ("female", 1999)
    assert (people["Lý Thị Hoa"].gender, people["Lý Thị Hoa"].birth_year) == ("female", None)
    del tree


def test_a_position_that_looks_like_a_signature_abbreviation_does_not_end_the_table(session, world):
    """"KT viên" (kỹ thuật viên) is a member's position; "KT. CHỦ TỊCH" under the table is a signature."""
    officer = world.officer
    data = xlsx(["Thôn", "Xã", "Ngày thành lập", "Họ và tên", "Chức vụ", "Tổ chức"],
                ["Phú Mỹ", "Tam Phước", "01/07/2022", "Một", "KT viên", "VNPT"],
                ["Phú Mỹ", "Tam Phước", "01/07/2022", "Hai", "TM", "KT"],
                ["Phú Mỹ", "Tam Phước", "01/07/2022", "Ba", None, None],
                [],
                [None, "KT. CHỦ TỊCH", None, "Người Ký Tên"])
    plan = _import(session, officer, data)
    assert plan.ok, plan.problems
    assert set(_members(session, _team_of(session, "Thôn Phú Mỹ").id)) == {"Một", "Hai", "Ba"}


def test_rows_left_blank_under_a_group_continue_the_team_above(session, world):
    officer = world.officer
    data = xlsx(["Thôn", "Xã", "Ngày thành lập", "Họ và tên"],
                ["Phú Mỹ", "Tam Phước", "01/07/2022", "Một"],
                [None, None, None, "Hai"],
                [None, None, None, "Ba"])
    plan = _import(session, officer, data)
    assert plan.ok and plan.teams_created == 1
    assert set(_members(session, _team_of(session, "Thôn Phú Mỹ").id)) == {"Một", "Hai", "Ba"}


@pytest.mark.parametrize("written", ["Số 125/QĐ-UBND ngày 01/7/2022", "125/QĐ-UBND, ngày 01.07.2022",
                                     "125/QĐ-UBND - 01/07/2022"])
def test_one_column_for_the_decision_number_and_its_date(session, world, written):
    """"Số, ngày quyết định" in one cell: the number and the founding date are read apart."""
    officer = world.officer
    data = xlsx(["Thôn", "Xã", "Số, ngày quyết định", "Họ và tên"],
                ["Phú Mỹ", "Tam Phước", written, "Một"])
    plan = _import(session, officer, data)
    assert plan.ok, plan.problems
    team = _team_of(session, "Thôn Phú Mỹ")
    assert (team.decision_no, team.established_on) == ("125/QĐ-UBND", date(2022, 7, 1))


def test_group_headings_a_split_name_and_a_sheet_named_after_its_commune(session, world):
    """One sheet per commune titled with its name, the name in "Họ và đệm" | "Tên", headings between groups."""
    tree, officer = world.tree, world.officer
    rows = [
        ["DANH SÁCH TỔ CNSCĐ XÃ TAM PHƯỚC"],
        ["STT", "Họ và đệm", "Tên", "Thôn", "Ngày thành lập", "Số điện thoại", "Ghi chú"],
        ["I. THÔN PHÚ MỸ"],  # merged across the table: a heading
        [1, "Nguyễn Văn", "Hùng", "Phú Mỹ", "01/07/2022", "0905123456", None],
        [2, "Phương Thị", "Lan", "Phú Mỹ", None, None, None],  # "Phương" is a family name, not "Phường"
        [None, "Thôn Khánh Thọ", None, None, None, None, None],  # a heading typed in the name column
        [1, "Tô Văn", "Tài", "Khánh Thọ", "02/07/2022", None, "đã tập huấn"],
    ]
    data = xlsx(["Danh sách các xã"], title="Hướng dẫn", extra={"Tam Phước": rows})
    wb_rows = load_workbook(io.BytesIO(data))
    wb_rows["Tam Phước"].merge_cells("A3:G3")
    buf = io.BytesIO()
    wb_rows.save(buf)
    plan = _import(session, officer, buf.getvalue())
    assert plan.ok, plan.problems
    assert plan.skipped_sheets == ["Hướng dẫn"]
    assert [r.member for r in plan.rows] == ["Nguyễn Văn Hùng", "Phương Thị Lan", "Tô Văn Tài"]
    assert set(_members(session, _team_of(session, "Thôn Phú Mỹ").id)) == {"Nguyễn Văn Hùng", "Phương Thị Lan"}
    assert set(_members(session, _team_of(session, "Thôn Khánh Thọ").id)) == {"Tô Văn Tài"}
    assert session.scalar(select(Unit.parent_id).where(Unit.name == "Thôn Phú Mỹ")) == tree.commune.id


@pytest.mark.parametrize("written", ["Tam Phước", "Xã Tam Phước", "XA TAM PHUOC", "X. Tam Phuoc", "tam  phuoc"])
def test_the_commune_is_found_with_or_without_its_kind(session, world, written):
    tree, officer = world.tree, world.officer
    plan = _plan(session, officer, xlsx(["Xã", "Thôn"], [written, "Phú Mỹ"]))
    assert plan.ok, plan.problems
    assert plan.rows[0].place.startswith("Thôn Phú Mỹ, Xã Tam Phước")
    del tree


def test_an_ambiguous_commune_is_told_apart_by_district_and_province(session):
    """"Xã Lương Điền" exists in Vĩnh Phúc and in Hải Dương: the name alone is a problem, the district settles it."""
    make = factories.create_unit
    vp = make(session, parent=None, tier="province", kind="Tỉnh", short="Vĩnh Phúc")
    hd = make(session, parent=None, tier="province", kind="Tỉnh", short="Hải Dương")
    vt = make(session, parent=vp, tier="district", kind="Huyện", short="Vĩnh Tường")
    cg = make(session, parent=hd, tier="district", kind="Huyện", short="Cẩm Giàng")
    ld_vp = make(session, parent=vt, tier="commune", kind="Xã", short="Lương Điền")
    ld_hd = make(session, parent=cg, tier="commune", kind="Xã", short="Lương Điền")
    session.commit()
    header = ["Tỉnh", "Huyện", "Xã", "Thôn"]
    plan = _plan(session, SYSTEM, xlsx(header, [None, None, "Lương Điền", "Thôn Một"]))
    assert len(plan.problems) == 1
    problem = plan.problems[0]
    assert (problem.row, problem.column) == (2, "Xã")
    assert "trùng tên" in problem.message and "Huyện Vĩnh Tường" in problem.message and "Huyện Cẩm Giàng" in problem.message
    plan = _import(session, SYSTEM, xlsx(header, [None, "Cẩm Giàng", "Xã Lương Điền", "Thôn Một"],
                                         ["Vĩnh Phúc", None, "Lương Điền", "Thôn Hai"],
                                         ["Tinh Hai Duong", "H. Cam Giang", "luong dien", "Thôn Ba"]))
    assert plan.ok, plan.problems
    parents = dict(session.execute(select(Unit.name, Unit.parent_id).where(Unit.tier == "village")).all())
    assert parents == {"Thôn Một": ld_hd.id, "Thôn Hai": ld_vp.id, "Thôn Ba": ld_hd.id}
    # A commune officer of one of them needs no district at all: the other is outside their scope.
    officer = factories.officer_of(session, ld_vp)
    session.commit()
    assert _plan(session, officer, xlsx(header, [None, None, "Lương Điền", "Thôn Bốn"])).ok


def test_communes_and_villages_that_differ_only_by_diacritics_are_told_apart(session, world):
    """Huyện Phú Ninh has both Xã Tam Dân and Xã Tam Đàn ("tam dan" folded): written with diacritics, each is found.

    The official list has 25 such pairs inside one district (Xã Hoằng Đồng / Xã Hoằng Đông, …); villages too.
    """
    tree, officer = world.tree, world.officer
    make = factories.create_unit
    dan = make(session, parent=tree.district, tier="commune", kind="Xã", short="Tam Dân")
    dan2 = make(session, parent=tree.district, tier="commune", kind="Xã", short="Tam Đàn")
    dong = make(session, parent=dan, tier="village", kind="Thôn", short="Đông")
    dong2 = make(session, parent=dan, tier="village", kind="Thôn", short="Đồng")
    session.commit()
    header = ["Xã", "Thôn", "Ngày thành lập", "Họ và tên"]
    plan = _import(session, officer, xlsx(
        header,
        ["Tam Dân", "Đông", "01/07/2022", "Người Tam Dân"],
        ["Xã Tam Đàn", "Thôn Mới", "01/07/2022", "Người Tam Đàn"],
        ["XÃ TAM ĐÀN", "Thôn Khác", "01/07/2022", "Người Tam Đàn Hai"],
        ["Tam Dân", "Thôn Đồng", "02/07/2022", "Người Thôn Đồng"],
        ["Tam Dân", "Thôn Hoà Bình", "03/07/2022", "Một"],  # the older tone placement…
        ["Tam Dân", "Hòa Bình", "03/07/2022", "Hai"],  # …and the newer: one village
    ))
    assert plan.ok, plan.problems
    assert _team_of(session, "Thôn Đông").unit_id == dong.id
    assert _team_of(session, "Thôn Đồng").unit_id == dong2.id
    parents = dict(session.execute(select(Unit.name, Unit.parent_id).where(Unit.name.in_(
        ["Thôn Mới", "Thôn Khác", "Thôn Hoà Bình", "Thôn Hòa Bình"]))).all())
    assert parents == {"Thôn Mới": dan2.id, "Thôn Khác": dan2.id, "Thôn Hoà Bình": dan.id}
    # Without diacritics the name is ambiguous and the officer is told both.
    plan = _plan(session, officer, xlsx(header, ["tam dan", "Thôn Ba", "01/07/2022", "Ai Đó"],
                                        ["Tam Dân", "dong", "01/07/2022", "Ai Khác"]))
    assert [(p.row, p.column) for p in plan.problems] == [(2, "Xã"), (3, "Thôn")]
    assert "Xã Tam Dân" in plan.problems[0].message and "Xã Tam Đàn" in plan.problems[0].message
    assert "Thôn Đông" in plan.problems[1].message and "Thôn Đồng" in plan.problems[1].message


def test_new_villages_that_differ_only_by_diacritics_are_two_and_unmarked_names_take_the_file_spelling(session, world):
    tree, officer = world.tree, world.officer
    header = ["Xã", "Thôn"]
    plan = _plan(session, officer, xlsx(header, ["Tam Phước", "thon dong"], ["Tam Phước", "Thôn Đông"],
                                        ["Tam Phước", "Thôn Đồng"]))
    assert [(p.row, p.column) for p in plan.problems] == [(2, "Thôn")]
    assert "Đông hoặc Đồng" in plan.problems[0].message
    plan = _import(session, officer, xlsx(header, ["Tam Phước", "ben da"], ["Tam Phước", "Thôn Đông"],
                                          ["Tam Phước", "Thôn Đồng"], ["Tam Phước", "Bến Đá"]))
    assert plan.ok and plan.villages_created == 3, plan.problems
    assert [r.village for r in plan.rows] == ["Tạo mới", "Tạo mới", "Tạo mới", "Tạo mới (như dòng 2)"]
    names = set(session.scalars(select(Unit.name).where(Unit.parent_id == tree.commune.id)))
    assert {"Thôn Đông", "Thôn Đồng", "Thôn Bến Đá"} <= names and "Thôn ben da" not in names


def test_units_that_do_not_exist_or_lie_outside_the_scope_are_problems(session, world):
    tree, officer = world.tree, world.officer
    data = xlsx(["Xã", "Thôn", "Họ và tên", "Ngày thành lập"],
                ["Tam Xuân", "Long Khánh", "Ngoài Phạm Vi", "01/07/2022"],  # Núi Thành: not this officer's district
                ["Tam Không Có", "Thôn X", "Không Tồn Tại", "01/07/2022"],
                ["Tam Phước", "Phú Mỹ", "Hợp Lệ", "01/07/2022"])
    before = row_counts(session, TABLES)
    plan = _plan(session, officer, data)
    messages = {p.row: p.message for p in plan.problems}
    assert "ngoài phạm vi" in messages[2]
    assert messages[3] == "Không tìm thấy xã, phường, thị trấn “Tam Không Có”."
    with pytest.raises(UserError, match="chưa có gì được ghi"):
        apply_import(session, actor=officer, source=data, today=TODAY)
    session.rollback()
    assert row_counts(session, TABLES) == before
    # The national administrator sees Tam Xuân.
    assert 2 not in {p.row for p in _plan(session, SYSTEM, data).problems}
    del tree


def test_one_bad_row_and_nothing_is_written(session, world):
    officer = world.officer
    rows = [list(r) for r in MESSY]
    rows[8][9] = "12345"  # Võ Văn Em's phone
    rows[8][8] = 1850
    before, version = row_counts(session, TABLES), _version(session)
    plan = _plan(session, officer, xlsx(*rows, merges=MESSY_MERGES))
    problems = [(p.sheet, p.row, p.column) for p in plan.problems]
    assert problems == [("Danh sách", 9, "SO DIEN THOAI")]  # the first problem of the member row stops it
    assert plan.rows[4].status == "Có lỗi" and plan.rows[0].status == "Hợp lệ"
    with pytest.raises(UserError) as refused:
        apply_import(session, actor=officer, source=xlsx(*rows, merges=MESSY_MERGES), today=TODAY)
    assert "dòng 9" in refused.value.message
    session.rollback()
    assert row_counts(session, TABLES) == before and _version(session) == version


@pytest.mark.parametrize(
    ("cells", "column", "needle"),
    [
        ({"Ngày thành lập": "31/02/2022"}, "Ngày thành lập", "không phải ngày hợp lệ"),
        ({"Ngày thành lập": "01/07/2031"}, "Ngày thành lập", "không được ở tương lai"),
        ({"Ngày thành lập": None}, "Ngày thành lập", "Tổ mới cần ngày thành lập"),
        ({"Giới tính": "Không rõ"}, "Giới tính", "Nam hoặc Nữ"),
        ({"Vai trò": "Trưởng nhóm"}, "Vai trò", "Tổ trưởng, Tổ phó hoặc Thành viên"),
        ({"Năm sinh": "199x"}, "Năm sinh", "Năm sinh"),
        ({"Năm sinh": 2020}, "Năm sinh", "Năm sinh phải từ"),
        ({"Họ và tên": None, "Số điện thoại": "0905123456"}, "Họ và tên", "Thiếu họ và tên"),
        ({"Thôn": "Thôn"}, "Thôn", "Tên thôn, khối phố không được để trống"),
    ],
)
def test_each_bad_cell_is_located_with_a_vietnamese_message(session, world, cells, column, needle):
    officer = world.officer
    header = ["Xã", "Thôn", "Ngày thành lập", "Họ và tên", "Giới tính", "Năm sinh", "Số điện thoại", "Vai trò"]
    values = dict(zip(header, ["Tam Phước", "Phú Mỹ", "01/07/2022", "Nguyễn Văn A", "Nam", 1990, None, "Thành viên"], strict=True))
    values.update(cells)
    plan = _plan(session, officer, xlsx(["Danh sách thành viên"], header, [values[h] for h in header]))
    assert len(plan.problems) == 1, plan.problems
    problem = plan.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("Danh sách", 3, column)
    assert needle in problem.message


def test_a_team_whose_rows_disagree_is_a_problem(session, world):
    officer = world.officer
    data = xlsx(["Thôn", "Xã", "Số quyết định", "Ngày thành lập", "Họ và tên"],
                ["Phú Mỹ", "Tam Phước", "12/QĐ", "01/07/2022", "A"],
                ["Phú Mỹ", "Tam Phước", "13/QĐ", "01/07/2022", "B"])
    plan = _plan(session, officer, data)
    assert [(p.row, p.column) for p in plan.problems] == [(3, "Số quyết định")]
    assert "Khác với dòng 2" in plan.problems[0].message


def test_a_repeated_problem_is_listed_once_with_its_rows(session, world):
    officer = world.officer
    rows = [["Xã", "Thôn", "Họ và tên", "Ngày thành lập"]] + [["Tam Phuoc Sai", "Phú Mỹ", f"Người {i}", "01/07/2022"] for i in range(30)]
    plan = _plan(session, officer, xlsx(*rows))
    assert len(plan.problems) == 1
    assert plan.problems[0].row == 2 and "cùng lỗi ở 29 dòng khác: 3, 4," in plan.problems[0].message


def test_a_village_list_without_members(session, world):
    tree, officer = world.tree, world.officer
    data = xlsx(["DANH SÁCH THÔN"], ["STT", "Xã", "Loại", "Tên thôn"],
                [1, "Tam Phước", "Khối phố", "5"], [2, "Tam Phước", None, "Phú Mỹ"], [3, "Tam Phước", None, "KP.6"],
                [4, "Tam Phước", "Tổ dân phố", None])
    plan = _plan(session, officer, data)
    assert [(p.row, p.column, p.message) for p in plan.problems] == [(6, "Tên thôn", "Thiếu tên thôn, khối phố.")]
    plan = _import(session, officer, xlsx(["STT", "Xã", "Loại", "Tên thôn"], [1, "Tam Phước", "Khối phố", "5"],
                                          [2, "Tam Phước", None, "Phú Mỹ"], [3, "Tam Phước", None, "KP.6"]))
    assert (plan.villages_created, plan.teams_created) == (2, 0)
    names = set(session.scalars(select(Unit.name).where(Unit.parent_id == tree.commune.id)))
    assert {"Khối phố 5", "Khối phố 6", "Thôn Phú Mỹ"} <= names
    assert session.scalar(select(Unit.short_name).where(Unit.name == "Khối phố 6")) == "6"


def test_the_chosen_commune_fills_a_sheet_without_one(session, world):
    tree, officer = world.tree, world.officer
    data = xlsx(["Tên thôn"], ["Bàu Sen"])
    assert [p.message for p in _plan(session, officer, data).problems] == ["Thiếu tên xã, phường, thị trấn."]
    _import(session, officer, data, default_commune_id=tree.commune.id)
    assert session.scalar(select(Unit.parent_id).where(Unit.name == "Thôn Bàu Sen")) == tree.commune.id


def test_a_closed_team_before_the_new_one(session, world):
    tree, officer = world.tree, world.officer
    factories.create_team(session, unit=tree.villages[0], established_on=date(2020, 1, 1), closed_on=date(2022, 6, 30))
    session.commit()
    header = ["Thôn", "Xã", "Ngày thành lập", "Họ và tên"]
    overlap = _plan(session, officer, xlsx(header, ["Phú Mỹ", "Tam Phước", "01/06/2022", "A"]))
    assert "hoạt động đến 30/06/2022" in overlap.problems[0].message
    assert _import(session, officer, xlsx(header, ["Phú Mỹ", "Tam Phước", "01/07/2022", "A"])).teams_created == 1


# ---- refused files ------------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"STT,Ho va ten\n1,Nguyen Van A\n", "không phải bảng tính Excel .xlsx"),  # a CSV renamed .xlsx
        (b"%PDF-1.7 renamed", "không phải bảng tính Excel .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "Excel cũ (.xls)"),
        (_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}), "không phải bảng tính Excel .xlsx"),
        (_zip({"xl/workbook.xml": b"not xml at all"}), "Không đọc được tệp Excel"),
        (b"", "Tệp trống"),
    ],
    ids=["csv", "pdf", "xls", "docx", "broken", "empty"],
)
def test_what_is_not_an_xlsx_is_refused_by_its_content(content, needle):
    with pytest.raises(UserError, match=re.escape(needle)):
        read_workbook(content)


def test_no_recognisable_header_is_refused():
    with pytest.raises(UserError, match="Không tìm thấy dòng tiêu đề"):
        read_workbook(xlsx(["Báo cáo tháng 8"], ["Cột A", "Cột B"], [1, 2]))


def test_size_and_row_limits(monkeypatch):
    with pytest.raises(UserError, match="lớn hơn 10 MB"):
        read_workbook(b"PK" + b"\0" * (10 * 1024 * 1024))
    monkeypatch.setattr(imports.workbook, "MAX_ROWS", 50)
    rows = [["Xã", "Thôn"]] + [["Tam Phước", f"Thôn {i}"] for i in range(60)]
    with pytest.raises(UserError, match="hơn 50 dòng"):
        read_workbook(xlsx(*rows))


def test_only_officers_and_admins_import(session, world):
    with pytest.raises(PermissionDenied):
        plan_import(session, actor=world.leader, source=xlsx(["Xã", "Thôn"], ["Tam Phước", "Mới"]), today=TODAY)


# ---- templates, progress, export ------------------------------------------------------------------


def _fill_row(ws, row: int, values: list) -> None:  # noqa: ANN001
    """Type a row into a template under its header (the template's formatted rows are empty)."""
    for column, value in enumerate(values, start=1):
        ws.cell(row=row, column=column, value=value)


def _filled(template: bytes, *rows: list) -> bytes:
    """The template with rows typed under its header (row 3), saved again."""
    wb = load_workbook(io.BytesIO(template))
    for i, values in enumerate(rows):
        _fill_row(wb.worksheets[0], 4 + i, values)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _headers(template: bytes) -> list[str]:
    return [c.value for c in load_workbook(io.BytesIO(template)).worksheets[0][3]]


def test_the_three_templates_have_vietnamese_headers_and_import_once_filled_in(session, world):
    tree, officer = world.tree, world.officer
    members = templates.members_template()
    assert _headers(members) == ["STT", "Tỉnh", "Huyện", "Xã", "Thôn", "Tên tổ", "Số quyết định", "Ngày thành lập",
                                 "Họ và tên", "Giới tính", "Năm sinh", "Số điện thoại", "Vai trò", "Tổ chức", "Chức vụ"]
    plan = _import(session, officer, _filled(
        members, [1, "Quảng Nam", "Phú Ninh", "Tam Phước", "Phú Mỹ", None, "88/QĐ-UBND", date(2022, 9, 1),
                  "Ngô Văn Tâm", "Nam", 1996, "0935 111 222", "Tổ trưởng", "Đoàn Thanh niên", "Bí thư Chi đoàn"]))
    assert (plan.teams_created, plan.members_created, plan.skipped_sheets) == (1, 1, ["Hướng dẫn"])
    tam = session.scalar(select(Member).where(Member.full_name == "Ngô Văn Tâm"))
    assert (tam.phone, tam.role, tam.organisation) == ("0935111222", "leader", "youth_union")

    teams = templates.teams_template()
    assert _headers(teams) == ["STT", "Tỉnh", "Huyện", "Xã", "Thôn", "Tên tổ", "Số quyết định", "Ngày thành lập"]
    plan = _import(session, officer, _filled(
        teams, [1, None, None, "Tam Phước", "Khánh Thọ", "Tổ CNSCĐ thôn Khánh Thọ", "90/QĐ-UBND", "02/09/2022"],
        [2, None, None, "Xã Tam Phước", None, None, "91/QĐ-UBND", date(2022, 9, 3)]))
    assert (plan.teams_created, plan.members_created, plan.villages_created) == (2, 0, 0), plan.problems
    khanh_tho = _team_of(session, "Thôn Khánh Thọ")
    assert (khanh_tho.name, khanh_tho.decision_no, khanh_tho.established_on) == (
        "Tổ CNSCĐ thôn Khánh Thọ", "90/QĐ-UBND", date(2022, 9, 2))
    assert _team_of(session, "Xã Tam Phước").decision_no == "91/QĐ-UBND"  # a blank Thôn: the commune's own team

    villages = templates.villages_template()
    assert _headers(villages) == ["STT", "Tỉnh", "Huyện", "Xã", "Loại", "Tên thôn"]
    assert _import(session, officer, _filled(villages, [1, None, None, "Tam Phước", "Tổ dân phố", "Số 9"])).villages_created == 1
    assert session.scalar(select(Unit.parent_id).where(Unit.name == "Tổ dân phố Số 9")) == tree.commune.id


def test_progress_is_reported_up_to_the_end(session, world):
    officer = world.officer
    seen: list[tuple[float, str]] = []
    apply_import(session, actor=officer, source=xlsx(*MESSY, merges=MESSY_MERGES), today=TODAY,
                 progress=lambda share, text: seen.append((share, text)))
    shares = [s for s, _ in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert all(text for _, text in seen)


def test_export_writes_formula_like_text_as_text():
    """Exported lists never run a formula: '=…', '+…', '-…', '@…' stay plain text."""
    import pandas as pd

    frame = pd.DataFrame({"Tên tổ": ["=HYPERLINK(\"http://x\",\"bấm\")", "+84 905 123 456", "-1+2", "@SUM(A1)", "Bình thường"],
                          "Số": [1, 2, 3, 4, 5]})
    ws = load_workbook(io.BytesIO(to_xlsx({"Tổ": frame}))).active
    cells = [ws.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in cells] == list(frame["Tên tổ"])
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True, True, True, True, False]
    assert ws.cell(row=2, column=2).value == 1


# ---- scale ------------------------------------------------------------------------------------------


def test_blank_cells_here_and_there_do_not_split_the_bulk_insert(session, world):
    """Blank phones, positions and birth years on some rows: as few INSERT statements as a file without blanks.

    (An ORM bulk INSERT that leaves None out groups the rows by the columns they name: a list with a blank
    here and there became one statement per row or two on PostgreSQL.)
    """
    from sqlalchemy import event

    officer = world.officer
    header = ["Xã", "Thôn", "Ngày thành lập", "Họ và tên", "Số điện thoại", "Chức vụ", "Năm sinh"]
    inserts: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        if statement.lstrip().upper().startswith("INSERT INTO MEMBERS"):
            inserts.append(statement)

    def statements(prefix: str, blanks: bool) -> int:
        rows = [["Tam Phước", f"Thôn {prefix} {i // 10}", "01/07/2022", f"Người {prefix} {i}",
                 f"09{i:08d}" if i % 2 or not blanks else None, "Đoàn viên" if i % 3 or not blanks else None,
                 1990 if i % 5 or not blanks else None] for i in range(300)]
        inserts.clear()
        event.listen(session.bind, "before_cursor_execute", count)
        try:
            assert _import(session, officer, xlsx(header, *rows)).members_created == 300
        finally:
            event.remove(session.bind, "before_cursor_execute", count)
        return len(inserts)

    full, with_blanks = statements("Đủ", blanks=False), statements("Trống", blanks=True)
    assert with_blanks == full, f"{with_blanks} INSERT statements with blank cells, {full} without"
    assert count_rows(session, Member, Member.phone.is_(None)) == 150


def test_ten_thousand_members_import_in_one_go(session, world):
    """1,000 new villages with a team of 10 each, merged village cells: timed, not asserted."""
    tree, officer = world.tree, world.officer
    header = ["STT", "Tỉnh", "Huyện", "Xã", "Thôn", "Số quyết định", "Ngày thành lập", "Họ và tên", "Giới tính",
              "Năm sinh", "Số điện thoại", "Vai trò", "Tổ chức", "Chức vụ"]
    rows = [["DANH SÁCH THÀNH VIÊN"], [], header]
    for i in range(10_000):
        rows.append([i + 1, "Quảng Nam", "Phú Ninh", "Tam Phước", f"Thôn Số {i // 10}", f"{i // 10}/QĐ-UBND",
                     date(2022, 7, 1), f"Nguyễn Văn {i}", "Nữ" if i % 2 else "Nam", 1960 + i % 40,
                     f"09{i:08d}", "Tổ trưởng" if i % 10 == 0 else "Thành viên", "Đoàn Thanh niên", "Đoàn viên"])
    merges = tuple(f"E{4 + g * 10}:E{13 + g * 10}" for g in range(1000))
    data = xlsx(*rows, merges=merges)
    started = time.perf_counter()
    book = read_workbook(data)
    read = time.perf_counter()
    plan = apply_import(session, actor=officer, source=book, today=TODAY)
    session.commit()
    done = time.perf_counter()
    print(f"\n10,000-member import on {session.bind.dialect.name}: read {read - started:.2f} s, "
          f"check and write {done - read:.2f} s, total {done - started:.2f} s")
    assert (plan.villages_created, plan.teams_created, plan.members_created) == (1000, 1000, 10_000)
    assert count_rows(session, Member) == 10_000
    assert count_rows(session, Unit, Unit.parent_id == tree.commune.id) == 1003
    leaders = count_rows(session, Member, Member.role == "leader")
    assert leaders == 1000
    again = time.perf_counter()
    second = plan_import(session, actor=officer, source=book, today=TODAY)
    print(f"the same file again: {time.perf_counter() - again:.2f} s, {second.changes} changes")
    assert second.ok and second.changes == 0
