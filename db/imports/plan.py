"""Planning an import: match a parsed workbook's rows against the database and say what importing would do.

`plan_import` reads the rows of each sheet (cell by cell, db/imports/cells.py), finds each row's commune in the
actor's scope (db/imports/units.py), its village under that commune (or a new one), the unit's open team (or a
new one) and each member within the team (by folded full name), and lists per row what would be created or
updated and every problem, located by sheet, row and column as the officer finds them in Excel. It reads the
database and never writes; the changes it would make are kept in `ImportPlan.ops` for db/imports/write.py.

Rules enforced the same way as the forms (db.teams, db.members, db.validation): scope, village kinds and names, one open team per
unit and no overlap with an earlier one, dates not in the future, member names, phones, birth years and
joining dates, one active Tổ trưởng per team.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import limits, vocab
from db.access import Actor
from db.errors import PermissionDenied, UserError
from db.imports.cells import (
    DEFAULT_VILLAGE_KIND,
    GENDER_WORDS,
    MARKS,
    ROLE_WORDS,
    VILLAGE_KIND_ALIASES,
    cell_text,
    exact_spelling,
    fold_cached,
    has_marks,
    is_empty,
    kind_prefix,
    normalise,
    organisation_code,
    parse_birth_year,
    parse_date,
    phone_text,
    split_decision,
    strip_words,
)
from db.imports.units import NewVillage, UnitRef, Units, unit_full_name, unit_label
from db.imports.workbook import (
    MEMBER_KEYS,
    TEAM_KEYS,
    UNIT_KEYS,
    ParsedWorkbook,
    Progress,
    SheetTable,
    read_workbook,
)
from db.members import MemberInput, validated_member
from db.models import Member, Team, Unit
from db.text import clean, fold
from db.validation import optional_text, require_past_date, require_text

CHUNK = 900  # ids per IN (...) list: SQLite's variable limit stays far away


# A row is a footer (signatures, totals, notes) when one of its cells reads like this: the table ends there.
_FOOTER = re.compile(
    r"^(nguoi lap|can bo lap|nguoi tong hop|xac nhan|noi nhan|tong cong|tong so|cong:?$|ky ten|\(ky|ky, ghi ro"
    r"|ghi chu\s*:"
    # "TM. UBND XÃ", "KT. CHỦ TỊCH", "T/M BAN CHỈ ĐẠO"; not a position such as "KT viên" on a member's row
    r"|(?:tm|t/m|kt)(?:\s*\.|\s+(?:ubnd|uy ban|chu tich|ban|dang uy|hdnd|giam doc|truong|pho|bi thu)\b))"
)
# "Tam Phước, ngày 15 tháng 8 năm 2022" or "Ngày … tháng … năm …": the whole cell is the date line.
_DATE_LINE = re.compile(r"^([^,]{0,60},\s*)?ngay\W*[\d.…_ ]*\W*thang\W*[\d.…_ ]*\W*nam\W*[\d.…_ ]*$")
_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")
# "I. Xã Tam Phước", "1. Thôn Phú Mỹ", "Tổ CNSCĐ thôn Phú Mỹ" in the name column: a group heading, not a person.
# Matched with diacritics: "Phường" is a heading, "Phương" may be a name; bare "Tổ" is not ("Tô" is a family name).
_HEADING = re.compile(r"^(?:[ivxlc]+|[a-z]|\d+)?[.)]?\s*(?:xã|phường|thị trấn|thôn|khối phố|tổ dân phố|tổ cnscđ"
                      r"|tổ công nghệ|huyện|tỉnh|thị xã|thành phố)\s")


# ---- the plan --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something that stops the import, located as an officer finds it in Excel."""

    sheet: str
    row: int | None
    column: str | None
    message: str


@dataclass
class PreviewRow:
    """What the import does with one row of the file."""

    sheet: str
    row: int
    place: str = ""
    village: str = ""  # "Tạo mới" | "Đã có" | "" (a commune team)
    team: str = ""
    team_action: str = ""
    member: str = ""
    member_action: str = ""
    status: str = "Hợp lệ"  # "Có lỗi" when a problem names this row or its team


TeamKey = tuple[str, Any]  # ("team", id) for an open team, ("new", UnitRef) for one the import creates


@dataclass
class _NewTeam:
    unit: UnitRef
    name: str
    established_on: date
    decision_no: str | None


@dataclass
class Ops:
    """What the import would write, gathered by the planner and written by db/imports/write.py."""

    villages: dict[tuple[int, str], NewVillage] = field(default_factory=dict)
    teams: dict[TeamKey, _NewTeam] = field(default_factory=dict)
    team_updates: dict[int, tuple[dict, dict]] = field(default_factory=dict)  # id → (before, changes)
    members: list[tuple[TeamKey, dict]] = field(default_factory=list)
    member_updates: list[tuple[int, dict, dict]] = field(default_factory=list)  # (id, before, changes)
    units: dict[int, Any] = field(default_factory=dict)  # commune id → its row (level, structure)




@dataclass
class ImportPlan:
    """The preview: per row what will be created or updated, every problem, and the counts."""

    rows: list[PreviewRow]
    problems: list[Problem]
    villages_created: int = 0
    teams_created: int = 0
    teams_updated: int = 0
    members_created: int = 0
    members_updated: int = 0
    skipped_sheets: list[str] = field(default_factory=list)
    ops: Ops = field(default_factory=Ops, repr=False)

    @property
    def ok(self) -> bool:
        """True when nothing stops the import."""
        return not self.problems

    @property
    def changes(self) -> int:
        """How many records the import would create or change."""
        return (self.villages_created + self.teams_created + self.teams_updated + self.members_created
                + self.members_updated)

    def summary(self) -> str:
        """One Vietnamese sentence: rows read and what will change."""
        n = format_count
        text = (f"{n(len(self.rows))} dòng: thêm {n(self.villages_created)} thôn, {n(self.teams_created)} tổ, "
                f"{n(self.members_created)} thành viên; cập nhật {n(self.teams_updated)} tổ, "
                f"{n(self.members_updated)} thành viên.")
        if self.changes == 0 and self.ok:
            text += " Dữ liệu trong tệp đã có đủ, không có gì mới."
        return text

    def preview_frame(self) -> pd.DataFrame:
        """The per-row preview with Vietnamese headers."""
        frame = pd.DataFrame([r.__dict__ for r in self.rows], columns=list(vocab.IMPORT_PREVIEW_COLUMNS))
        return frame.rename(columns=vocab.IMPORT_PREVIEW_COLUMNS)

    def problems_frame(self) -> pd.DataFrame:
        """The problems as (sheet, row, column, message) with Vietnamese headers."""
        frame = pd.DataFrame([p.__dict__ for p in self.problems], columns=list(vocab.IMPORT_PROBLEM_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        return frame.rename(columns=vocab.IMPORT_PROBLEM_COLUMNS)


def format_count(value: int) -> str:
    """A count with Vietnamese thousands dots: 10.000."""
    return f"{value:,}".replace(",", ".")


@dataclass
class _Row:
    """One data row's values, converted; cell problems are recorded as they are found."""

    sheet: SheetTable
    row: int
    province: str | None = None
    district: str | None = None
    commune: str | None = None
    village: str | None = None
    village_kind: str | None = None
    team_name: str | None = None
    decision_no: str | None = None
    established_on: date | None = None
    full_name: str | None = None
    gender: str | None = None
    birth_year: int | None = None
    phone: str | None = None
    role: str | None = None
    organisation: str | None = None
    organisation_known: bool = False
    position: str | None = None
    joined_on: date | None = None
    has_member_data: bool = False
    bad: bool = False  # a cell could not be read: the row is not planned further


class _Planner:
    """Builds an ImportPlan from a parsed workbook, reading the database but never writing to it."""

    def __init__(self, session: Session, actor: Actor, *, today: date, default_commune_id: int | None,
                 progress: Progress | None) -> None:
        self.session, self.actor, self.today, self.progress = session, actor, today, progress
        self.problems: list[Problem] = []
        self.units = Units(session, actor)
        self.default_commune = self._default_commune(default_commune_id)
        self.ops = Ops()
        self._commune_cache: dict[tuple[str, str, str], int | str] = {}
        self.spellings: dict[tuple[int, str], set[str]] = defaultdict(set)  # (commune, folded) → "Phú Mỹ"…

    # -- problems
    def problem(self, row: _Row, key: str | None, message: str) -> None:
        """Record a problem at a row and column (the column as the file names it); the row is not planned further."""
        self.problems.append(Problem(row.sheet.title, row.row, row.sheet.label(key) if key else None, message))
        row.bad = True

    def _default_commune(self, commune_id: int | None) -> int | None:
        """The commune to use when a row names none: the page's chosen commune, or the officer's own."""
        for candidate in (commune_id, self.actor.unit_id):
            unit = self.units.rows.get(candidate) if candidate is not None else None
            if unit is not None and unit.tier == "commune" and unit.in_scope:
                return unit.id
        return None

    # -- step 1: cells
    def read_rows(self, sheet: SheetTable) -> Iterable[_Row]:
        """The sheet's data rows as _Row, skipping blank and numbering rows, stopping at the footer."""
        cols = sheet.columns
        unit_and_team = [cols[k] for k in (*UNIT_KEYS, *TEAM_KEYS, "village_kind") if k in cols]
        member_cols = [cols[k] for k in MEMBER_KEYS if k in cols]
        note = cols.get("note")
        for n, (excel_row, values) in enumerate(sheet.rows):
            texts = [fold_cached(v) if isinstance(v, str) else str(v) for c, v in enumerate(values)
                     if not is_empty(v) and c != note]
            if not texts:
                continue
            if any(_FOOTER.match(t) or _DATE_LINE.match(t) for t in texts):
                break
            if excel_row in sheet.banners:
                continue
            if n < 3 and all(_NUMBERING.match(t) for t in texts):  # "(1) (2) (3)…" under the header
                continue

            def cell(key: str, values: Sequence[Any] = values) -> Any:
                c = cols.get(key)
                return values[c] if c is not None and c < len(values) else None

            name = cell_text(cell("full_name"))
            if name is None and "given_name" in cols:  # "Họ và đệm" | "Tên"
                name = " ".join(p for p in (cell_text(cell("family_name")), cell_text(cell("given_name"))) if p) or None
            has_member = any(c < len(values) and not is_empty(values[c]) for c in member_cols)
            if name is not None and not has_member and _HEADING.match(name.lower()):
                continue  # a group heading in the name column
            has_unit = any(c < len(values) and not is_empty(values[c]) for c in unit_and_team)
            if name is None and not has_member and not has_unit:
                continue  # only a sequence number or notes in unknown columns
            row = _Row(sheet=sheet, row=excel_row)
            for key in ("province", "district", "commune", "village", "village_kind", "team_name", "position"):
                setattr(row, key, cell_text(cell(key)))
            row.full_name = name
            row.has_member_data = has_member
            self._read_member_cells(row, cell)
            row.decision_no = cell_text(cell("decision_no"))
            for key in ("established_on", "joined_on"):
                try:
                    setattr(row, key, parse_date(cell(key)))
                except ValueError as err:
                    self.problem(row, key, f"“{err}” không phải ngày hợp lệ (ghi dạng dd/mm/yyyy, ví dụ 01/07/2022).")
            if row.decision_no and row.established_on is None:
                row.decision_no, row.established_on = split_decision(row.decision_no)
            yield row

    def _read_member_cells(self, row: _Row, cell: Callable[[str], Any]) -> None:
        """Gender, year of birth, phone, role and organisation, as the officer wrote them."""
        try:
            row.birth_year = parse_birth_year(cell("birth_year"))
        except ValueError as err:
            self.problem(row, "birth_year", f"Năm sinh “{err}” không hợp lệ (ghi 4 chữ số, ví dụ 1995).")
        gender_text = cell_text(cell("gender"))
        if gender_text is not None:
            row.gender = GENDER_WORDS.get(normalise(gender_text))
            if row.gender is None:
                self.problem(row, "gender", f"Giới tính “{gender_text}” không rõ: ghi Nam hoặc Nữ.")
        for key, gender in (("birth_male", "male"), ("birth_female", "female")):
            value = cell(key)
            if is_empty(value):
                continue
            row.gender = gender
            if (isinstance(value, str) and normalise(value) in MARKS) or (isinstance(value, (int, float)) and value == 1):
                continue  # a tick, not a year
            try:
                row.birth_year = parse_birth_year(value)
            except ValueError as err:
                self.problem(row, key, f"Năm sinh “{err}” không hợp lệ (ghi 4 chữ số, ví dụ 1995).")
        row.phone = phone_text(cell("phone"))
        role_text = cell_text(cell("role"))
        if role_text is not None:
            row.role = ROLE_WORDS.get(normalise(role_text))
            if row.role is None:
                self.problem(row, "role", f"Vai trò “{role_text}” không rõ: ghi Tổ trưởng, Tổ phó hoặc Thành viên.")
        org_text = cell_text(cell("organisation"))
        if org_text is not None:
            row.organisation, row.organisation_known = organisation_code(org_text)

    # -- step 2: communes
    def resolve_commune(self, row: _Row) -> int | None:
        """The row's commune in scope, by name and, when the name is shared, by district and province."""
        if row.commune is None:
            from_title = self._sheet_commune(row.sheet)
            if from_title is not None:
                return from_title
            if self.default_commune is not None:
                return self.default_commune
            self.problem(row, "commune", "Thiếu tên xã, phường, thị trấn.")
            return None
        cache_key = (row.commune, row.district or "", row.province or "")
        cached = self._commune_cache.get(cache_key)
        if cached is None:
            cached = self.units.find_commune(row.commune, row.district, row.province)
            self._commune_cache[cache_key] = cached
        if isinstance(cached, str):
            self.problem(row, "commune", cached)
            return None
        return cached

    def _sheet_commune(self, sheet: SheetTable) -> int | None:
        """A sheet without a commune column, titled with a commune's name ("Tam Phước"): that commune."""
        if "commune" in sheet.columns:
            return None
        key = ("", "", f"sheet:{sheet.title}")
        if key not in self._commune_cache:
            found = self.units.communes(sheet.title)
            self._commune_cache[key] = found[0] if len(found) == 1 else ""
        cached = self._commune_cache[key]
        return cached if isinstance(cached, int) else None

    # -- step 3: villages, teams, members of the communes named
    def load(self, commune_ids: set[int]) -> None:
        """Villages, teams and their members under the communes the file names, indexed for matching."""
        # (commune, folded full name) and (commune, folded short name) → [(id, kind, full name)]
        self.village_full: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
        self.village_short: dict[tuple[int, str], list[tuple[int, str, str]]] = defaultdict(list)
        self.village_names: dict[int, str] = {}
        self.village_short_names: dict[int, str] = {}
        ids = sorted(commune_ids)
        for part in chunks(ids):
            for vid, parent, kind, name, short in self.session.execute(
                select(Unit.id, Unit.parent_id, Unit.kind, Unit.name, Unit.short_name)
                .where(Unit.parent_id.in_(part), Unit.tier == "village")
            ):
                assert parent is not None  # a village's parent, selected by parent_id
                self.village_full[(parent, normalise(name))].append((vid, kind, name))
                self.village_short[(parent, normalise(short))].append((vid, kind, name))
                self.village_names[vid] = name
                self.village_short_names[vid] = short
        unit_ids = ids + sorted(self.village_names)
        self.open_team: dict[int, dict] = {}
        self.closed_teams: dict[int, list[dict]] = defaultdict(list)
        team_cols = [Team.id, Team.unit_id, Team.name, Team.established_on, Team.decision_no, Team.closed_on, Team.note]
        for part in chunks(unit_ids):
            for r in self.session.execute(select(*team_cols).where(Team.unit_id.in_(part))).mappings():
                team = dict(r)
                if team["closed_on"] is None:
                    self.open_team[team["unit_id"]] = team
                else:
                    self.closed_teams[team["unit_id"]].append(team)
        self.members: dict[int, list[dict]] = defaultdict(list)
        member_cols = [c for c in Member.__table__.columns if c.key != "created_at"]
        team_ids = sorted(t["id"] for t in self.open_team.values())
        for part in chunks(team_ids):
            for r in self.session.execute(select(*member_cols).where(Member.team_id.in_(part))).mappings():
                self.members[r["team_id"]].append(dict(r))
        self.ops.units = {i: self.units.rows[i] for i in ids}

    def resolve_village(self, row: _Row, commune_id: int) -> UnitRef | None:
        """The village the row names under its commune, or a new one to create."""
        text = row.village
        assert text is not None
        key, kind, rest, words = kind_prefix(text, VILLAGE_KIND_ALIASES)
        hint = None
        if row.village_kind is not None:
            hint = VILLAGE_KIND_ALIASES.get(normalise(row.village_kind))
            if hint is None:
                self.problem(row, "village_kind",
                             f"Loại “{row.village_kind}” không rõ: ghi một trong {', '.join(vocab.VILLAGE_KINDS)}.")
                return None
        if key in VILLAGE_KIND_ALIASES:  # "Thôn" and nothing else
            self.problem(row, "village", "Tên thôn, khối phố không được để trống.")
            return None
        by_full, by_short = self.village_full, self.village_short
        if kind is not None:  # "Thôn Phú Mỹ", "KP.3": the kind is part of the name
            hits = by_full.get((commune_id, key)) or by_full.get((commune_id, normalise(f"{kind} {rest}"))) or []
            short = strip_words(text, words)
        elif hint is not None:  # "Phú Mỹ" with "Thôn" in the Loại column
            hits = by_full.get((commune_id, normalise(f"{hint} {text}"))) or []
            short, kind = text, hint
        else:  # "Phú Mỹ": whatever its kind
            hits = by_short.get((commune_id, key)) or by_full.get((commune_id, key)) or []
            short, kind = text, DEFAULT_VILLAGE_KIND
        if len(hits) > 1:  # "Thôn Đông" and "Thôn Đồng": the one written with these diacritics, if just one
            written = {exact_spelling(text), exact_spelling(f"{kind} {short}")}
            spelled = [v for v in hits if {exact_spelling(v[2]), exact_spelling(self.village_short_names[v[0]])} & written]
            hits = spelled if len(spelled) == 1 else hits
        if len(hits) > 1:
            names = ", ".join(v[2] for v in hits)
            self.problem(row, "village", f"“{text}” trùng tên nhiều thôn trong xã: {names}. Hãy ghi rõ loại (Thôn, Khối phố…).")
            return None
        if hits:
            return hits[0][0]
        kind = hint or kind
        try:
            short = require_text(short, field="name", label="Tên thôn, khối phố")
        except UserError as err:
            self.problem(row, "village", err.message)
            return None
        if not has_marks(short):  # "phu my": the spelling with diacritics the file gives elsewhere, if one
            spellings = sorted(self.spellings.get((commune_id, normalise(short)), ()))
            if len(spellings) > 1:
                self.problem(row, "village", f"“{text}” viết không dấu, có thể là {' hoặc '.join(spellings)} "
                                             "trong cùng tệp; hãy ghi có dấu.")
                return None
            short = spellings[0] if spellings else short
        full = f"{kind} {short}"
        exact = exact_spelling(full)
        self.ops.villages.setdefault((commune_id, exact), NewVillage(commune_id, kind, short, full))
        return ("new", commune_id, exact)

    def note_spelling(self, commune_id: int, village: str) -> None:
        """Remember a village name written with diacritics, for the rows that write it without."""
        short = strip_words(village, kind_prefix(village, VILLAGE_KIND_ALIASES)[3])
        if has_marks(short):
            self.spellings[(commune_id, normalise(short))].add(clean(short))


def chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """The ids in slices of CHUNK, one IN (...) list each."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def plan_import(
    session: Session,
    *,
    actor: Actor,
    source: bytes | ParsedWorkbook,
    today: date | None = None,
    default_commune_id: int | None = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Read the file (unless already read) and say, row by row, what importing it would do; writes nothing."""
    if not actor.can_write:
        raise PermissionDenied("Chỉ cán bộ địa bàn và quản trị hệ thống được nhập dữ liệu từ Excel.")
    today = today or date.today()
    book = source if isinstance(source, ParsedWorkbook) else read_workbook(source, progress=progress)
    if progress:
        progress(0.3, "Đang đối chiếu với dữ liệu đã có…")
    planner = _Planner(session, actor, today=today, default_commune_id=default_commune_id, progress=progress)
    rows: list[_Row] = []
    for sheet in book.sheets:
        rows.extend(planner.read_rows(sheet))
    # Units: a member row with no unit at all continues the team above (cells left blank under a group).
    communes: dict[int, int] = {}  # id(row) → commune id
    previous: dict[str, _Row] = {}
    for row in rows:
        if row.bad:
            continue
        sheet = row.sheet
        blank_unit = all(getattr(row, k) is None for k in UNIT_KEYS)
        above = previous.get(sheet.title)
        if (blank_unit and (row.full_name is not None or row.has_member_data) and above is not None
                and sheet.columns.keys() & {"village", "commune"}):
            for unit_key in UNIT_KEYS:
                setattr(row, unit_key, getattr(above, unit_key))
        commune_id = planner.resolve_commune(row)
        if commune_id is None:
            continue
        communes[id(row)] = commune_id
        previous[sheet.title] = row
        if row.village is not None:
            planner.note_spelling(commune_id, row.village)
    planner.load(set(communes.values()))
    if progress:
        progress(0.45, "Đang kiểm tra từng dòng…")

    preview: list[PreviewRow] = []
    team_rows: dict[TeamKey, list[tuple[_Row, PreviewRow]]] = defaultdict(list)
    team_units: dict[TeamKey, UnitRef] = {}
    new_villages_seen: dict[UnitRef, int] = {}  # a new village → the first row naming it
    for row in rows:
        line = PreviewRow(sheet=row.sheet.title, row=row.row, member=row.full_name or "")
        preview.append(line)
        commune_id = communes.get(id(row))
        if row.bad or commune_id is None:
            continue
        sheet = row.sheet
        wants_team = sheet.has_members or any(k in sheet.columns for k in TEAM_KEYS)
        if row.village is None and not wants_team and "village" in sheet.columns:
            planner.problem(row, "village", "Thiếu tên thôn, khối phố.")
            continue
        if row.village is not None:
            unit = planner.resolve_village(row, commune_id)
            if unit is None:
                continue
            if isinstance(unit, int):
                line.village = "Đã có"
            elif unit in new_villages_seen:
                line.village = f"Tạo mới (như dòng {new_villages_seen[unit]})"
            else:
                line.village = "Tạo mới"
                new_villages_seen[unit] = row.row
        else:
            unit = commune_id  # a commune team (tổ xã)
            line.village = "—"
        line.place = unit_label(planner.units, unit, commune_id, village_names=planner.village_names,
                                new_villages=planner.ops.villages)
        if not wants_team:
            continue
        if isinstance(unit, int) and unit in planner.open_team:
            key: TeamKey = ("team", planner.open_team[unit]["id"])
        else:
            key = ("new", unit)
        team_units[key] = unit
        team_rows[key].append((row, line))
    if progress:
        progress(0.55, "Đang kiểm tra tổ và thành viên…")
    for key, members in team_rows.items():
        _plan_team(planner, key, team_units[key], members)
    for row, line in zip(rows, preview, strict=True):
        if row.bad or "Có lỗi" in (line.team_action, line.member_action):
            line.status = "Có lỗi"

    ops = planner.ops
    plan = ImportPlan(
        rows=preview,
        problems=_grouped(planner.problems),
        villages_created=len(ops.villages),
        teams_created=len(ops.teams),
        teams_updated=len(ops.team_updates),
        members_created=len(ops.members),
        members_updated=len(ops.member_updates),
        skipped_sheets=book.skipped,
        ops=ops,
    )
    if not rows and not plan.problems:
        plan.problems.append(Problem(book.sheets[0].title, None, None, "Bảng không có dòng dữ liệu nào dưới dòng tiêu đề."))
    if progress:
        progress(0.6, "Đã kiểm tra xong.")
    return plan


def _first(planner: _Planner, rows: list[tuple[_Row, PreviewRow]], key: str) -> Any:
    """The first value of a team column among its rows; a different value on a later row is a problem."""
    value, where = None, None
    for row, _ in rows:
        v = getattr(row, key)
        if v is None:
            continue
        if value is None:
            value, where = v, row
        elif (normalise(v) if isinstance(v, str) else v) != (normalise(value) if isinstance(value, str) else value):
            shown = f"{value:%d/%m/%Y}" if isinstance(value, date) else value
            planner.problem(row, key, f"Khác với dòng {where.row} của cùng tổ (“{shown}”).")  # type: ignore[union-attr]
    return value


def _plan_team(planner: _Planner, key: TeamKey, unit: UnitRef, rows: list[tuple[_Row, PreviewRow]]) -> None:
    """Plan one team (new or open) and its member rows."""
    name_in_file = _first(planner, rows, "team_name")
    decision_in_file = _first(planner, rows, "decision_no")
    start_in_file = _first(planner, rows, "established_on")
    unit_name = unit_full_name(planner.units, unit, village_names=planner.village_names,
                               new_villages=planner.ops.villages)
    team_start: date | None
    existing: dict | None = None
    if key[0] == "team":
        existing = planner.open_team[unit]  # type: ignore[index]
        team_name, team_start = existing["name"], existing["established_on"]
        changes: dict[str, Any] = {}
        try:
            if name_in_file is not None and normalise(name_in_file) != normalise(existing["name"]):
                changes["name"] = require_text(name_in_file, field="name", label="Tên tổ", max_len=limits.TEAM_NAME_MAX)
            if decision_in_file is not None and decision_in_file != (existing["decision_no"] or ""):
                changes["decision_no"] = optional_text(decision_in_file, field="decision_no", label="Số quyết định",
                                                       max_len=limits.DECISION_NO_MAX)
            if start_in_file is not None and start_in_file != existing["established_on"]:
                changes["established_on"] = _check_start(planner, unit, start_in_file, exclude=existing["id"])
                earliest = min((m["joined_on"] for m in planner.members.get(existing["id"], [])), default=None)
                if earliest is not None and changes["established_on"] > earliest:
                    raise UserError(f"Ngày thành lập không được sau ngày tham gia của thành viên đầu tiên ({earliest:%d/%m/%Y}).",
                                    field="established_on")
        except UserError as err:
            _team_problem(planner, rows, err)
            return
        if changes:
            planner.ops.team_updates[existing["id"]] = (audit_values(Team, existing), changes)
            team_start = changes.get("established_on", team_start)
            team_name = changes.get("name", team_name)
            action = "Cập nhật: " + ", ".join(vocab.IMPORT_FIELD_WORDS[k] for k in changes)
        else:
            action = "Đã có"
    else:
        team_name = name_in_file or f"Tổ CNSCĐ {unit_name}"
        try:
            team_name = require_text(team_name, field="name", label="Tên tổ", max_len=limits.TEAM_NAME_MAX)
            decision = optional_text(decision_in_file, field="decision_no", label="Số quyết định", max_len=limits.DECISION_NO_MAX)
            if start_in_file is None:
                raise UserError("Tổ mới cần ngày thành lập.", field="established_on")
            team_start = _check_start(planner, unit, start_in_file, exclude=None)
        except UserError as err:
            _team_problem(planner, rows, err)
            return
        planner.ops.teams[key] = _NewTeam(unit, team_name, team_start, decision)
        action = "Tạo mới"
    for i, (_, line) in enumerate(rows):
        line.team = team_name
        line.team_action = action if i == 0 or action == "Đã có" else f"{action.split(':')[0]} (như dòng {rows[0][0].row})"
    _plan_members(planner, key, existing, team_start, rows)


def _check_start(planner: _Planner, unit: UnitRef, start: date, *, exclude: int | None) -> date:
    """A team's start date: not in the future, and after every earlier team of the unit stopped."""
    start = require_past_date(start, field="established_on", label="Ngày thành lập", today=planner.today)
    if isinstance(unit, int):
        for team in planner.closed_teams.get(unit, []):
            if team["id"] != exclude and team["closed_on"] > start:
                raise UserError(
                    f"Địa bàn đã có tổ “{team['name']}” hoạt động đến {team['closed_on']:%d/%m/%Y}; "
                    "ngày thành lập tổ mới phải từ ngày đó trở đi.", field="established_on")
    return start


def _team_problem(planner: _Planner, rows: list[tuple[_Row, PreviewRow]], err: UserError) -> None:
    row, _ = rows[0]
    key = {"name": "team_name", "decision_no": "decision_no", "established_on": "established_on"}.get(err.field or "")
    planner.problem(row, key, err.message)
    for _, line in rows:
        line.team_action = "Có lỗi"


_MEMBER_FIELD_KEYS = {"full_name": "full_name", "phone": "phone", "position": "position", "role": "role",
                      "organisation": "organisation", "gender": "gender", "birth_year": "birth_year",
                      "joined_on": "joined_on"}
_MEMBER_FIELDS = ("gender", "birth_year", "phone", "role", "organisation", "position", "joined_on")


def _plan_members(planner: _Planner, key: TeamKey, existing: dict | None, team_start: date,
                  rows: list[tuple[_Row, PreviewRow]]) -> None:
    """New members and corrections of the team's active members, one Tổ trưởng at most."""
    current = list(planner.members.get(existing["id"], [])) if existing else []
    active: dict[str, dict] = {}
    for m in current:
        if m["left_on"] is None:
            active.setdefault(fold(m["full_name"]), m)
    roles = {m["id"]: m["role"] for m in current if m["left_on"] is None}  # after the import
    leader_rows: list[_Row] = []
    seen: dict[str, int] = {}
    for row, line in rows:
        if row.full_name is None:
            if row.has_member_data:
                planner.problem(row, "full_name", "Thiếu họ và tên thành viên.")
                line.member_action = "Có lỗi"
            continue
        folded = fold(row.full_name)
        if folded in seen:
            planner.problem(row, "full_name", f"“{row.full_name}” trùng với dòng {seen[folded]} của cùng tổ.")
            line.member_action = "Có lỗi"
            continue
        seen[folded] = row.row
        match = active.get(folded)
        base = match or {}
        data = MemberInput(
            full_name=match["full_name"] if match else row.full_name,
            gender=row.gender or base.get("gender"),
            birth_year=row.birth_year if row.birth_year is not None else base.get("birth_year"),
            phone=row.phone if row.phone is not None else base.get("phone"),
            role=row.role or base.get("role") or "member",
            organisation=(row.organisation if row.organisation_known or not match else None) or base.get("organisation") or "other",
            position=row.position if row.position is not None else base.get("position"),
            joined_on=row.joined_on or base.get("joined_on"),
        )
        try:
            checked = validated_member(data, row=None, team_start=team_start, today=planner.today)
        except UserError as err:
            column = _MEMBER_FIELD_KEYS.get(err.field or "")
            if column == "birth_year" and "birth_year" not in row.sheet.columns:
                column = "birth_male" if row.gender == "male" else "birth_female"
            planner.problem(row, column, err.message)
            line.member_action = "Có lỗi"
            continue
        values = {k: getattr(checked, k) for k in ("full_name", *_MEMBER_FIELDS)}
        if checked.role == "leader":
            leader_rows.append(row)
        if match:
            roles[match["id"]] = checked.role
            changes = {k: v for k, v in values.items() if k != "full_name" and v != match[k]}
            if changes:
                planner.ops.member_updates.append((match["id"], audit_values(Member, match), changes))
                line.member_action = "Cập nhật: " + ", ".join(vocab.IMPORT_FIELD_WORDS[k] for k in changes)
            else:
                line.member_action = "Đã có"
        else:
            values["left_on"] = None
            planner.ops.members.append((key, values))
            line.member_action = "Thêm mới"
    leaders_kept = [m for m in current if m["left_on"] is None and roles.get(m["id"]) == "leader"
                    and fold(m["full_name"]) not in seen]
    if len(leader_rows) + len(leaders_kept) > 1:
        if leaders_kept:
            message = (f"Tổ đã có Tổ trưởng “{leaders_kept[0]['full_name']}”; mỗi tổ chỉ có một Tổ trưởng đang hoạt động "
                       "(hãy ghi người đó là Thành viên hoặc Tổ phó trong tệp nếu đổi Tổ trưởng).")
            culprits = leader_rows
        else:
            message = f"Mỗi tổ chỉ có một Tổ trưởng đang hoạt động; tổ này đã có Tổ trưởng ở dòng {leader_rows[0].row}."
            culprits = leader_rows[1:]
        for row in culprits:
            planner.problem(row, "role", message)


def _grouped(problems: list[Problem]) -> list[Problem]:
    """One line per repeated problem (a misspelt commune on 300 rows), naming the other rows."""
    groups: dict[tuple[str, str | None, str], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.sheet, p.column, p.message), []).append(p)
    out = []
    for (sheet, column, message), items in groups.items():
        first = items[0]
        if len(items) > 1:
            others = [str(p.row) for p in items[1:] if p.row is not None]
            shown = ", ".join(others[:10]) + ("…" if len(others) > 10 else "")
            message = f"{message} (cùng lỗi ở {format_count(len(others))} dòng khác: {shown})"
        out.append(Problem(sheet, first.row, column, message))
    return sorted(out, key=lambda p: (p.sheet, p.row or 0))


def audit_values(model: type, values: dict) -> dict:
    """Column values for the audit trail, JSON-friendly (dates as ISO text)."""
    out = {}
    for col in model.__table__.columns:  # type: ignore[attr-defined]
        if col.key in values and col.key not in ("created_at", "updated_at"):
            v = values[col.key]
            out[col.key] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


def import_summary(plan: ImportPlan) -> str:
    """What was written, for the success message and the command line."""
    n = format_count
    return (f"Đã nhập: {n(plan.villages_created)} thôn, {n(plan.teams_created)} tổ, {n(plan.members_created)} thành viên mới; "
            f"cập nhật {n(plan.teams_updated)} tổ, {n(plan.members_updated)} thành viên.")
