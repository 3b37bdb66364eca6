"""Matching the units a file names: communes in the actor's scope by name, kind, district and province.

"Tam Phước", "Xã Tam Phước", "XA TAM PHUOC" and "X. Tam Phuoc" name the same commune; "Tam Dân" and "Tam Đàn"
fold alike, so the diacritics as written tell them apart, and a name shared by several communes needs the
Huyện and Tỉnh columns. `Units` loads the actor's units above village level once per plan; villages are
matched by the planner (db/imports/plan.py) under the communes found here.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.access import Actor
from db.imports.cells import (
    COMMUNE_KINDS,
    DISTRICT_KINDS,
    PROVINCE_KINDS,
    exact_spelling,
    kind_prefix,
    name_parts,
    normalise,
    strip_words,
)
from db.models import Unit, UnitPath

UnitRef = int | tuple[str, int, str]  # an existing unit's id, or ("new", commune id, folded village name)


@dataclass
class NewVillage:
    """A village the import creates under a commune."""

    commune_id: int
    kind: str
    short: str
    name: str


@dataclass
class UnitRow:
    """A unit above village level as the matching needs it; in_scope is False for the actor's ancestors."""

    id: int
    parent_id: int | None
    tier: str
    name: str
    short_name: str
    level: int
    structure: str
    in_scope: bool


class Units:
    """The actor's units above village level, indexed by folded full and short names."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        cols = (Unit.id, Unit.parent_id, Unit.tier, Unit.name, Unit.short_name, Unit.level, Unit.structure)
        stmt = select(*cols).where(Unit.tier != "village")
        if actor.unit_id is not None:
            stmt = stmt.join(UnitPath, (UnitPath.descendant_id == Unit.id) & (UnitPath.ancestor_id == actor.unit_id))
        self.rows: dict[int, UnitRow] = {r[0]: UnitRow(*r, in_scope=True) for r in session.execute(stmt)}
        if actor.unit_id is not None:  # the ancestors, so "Huyện" and "Tỉnh" columns can be checked
            above = select(*cols).join(UnitPath, UnitPath.ancestor_id == Unit.id).where(
                UnitPath.descendant_id == actor.unit_id, UnitPath.depth > 0)
            for r in session.execute(above):
                self.rows[r[0]] = UnitRow(*r, in_scope=False)
        self.by_full: dict[str, list[int]] = defaultdict(list)
        self.by_short: dict[str, list[int]] = defaultdict(list)
        for u in self.rows.values():
            if u.tier == "commune" and u.in_scope:
                self.by_full[normalise(u.name)].append(u.id)
                self.by_short[normalise(u.short_name)].append(u.id)

    def matches(self, unit: UnitRow, text: str, kinds: dict[str, str]) -> bool:
        """True when `text` names the unit, with or without its kind."""
        key, kind, rest = name_parts(text, kinds)
        full, short = normalise(unit.name), normalise(unit.short_name)
        return key in (full, short) or rest == short or (kind is not None and normalise(f"{kind} {rest}") == full)

    def written_as(self, unit_id: int, text: str, kinds: dict[str, str]) -> bool:
        """True when `text` names the unit with its very diacritics (with or without its kind)."""
        unit = self.rows[unit_id]
        words = kind_prefix(text, kinds)[3]
        written = {exact_spelling(text), exact_spelling(strip_words(text, words))}
        return bool(written & {exact_spelling(unit.name), exact_spelling(unit.short_name)})

    def ancestor(self, unit_id: int, tier: str) -> UnitRow | None:
        """The unit's ancestor of a tier, if loaded."""
        seen = 0
        current = self.rows.get(unit_id)
        while current is not None and seen < 10:
            if current.tier == tier:
                return current
            current = self.rows.get(current.parent_id) if current.parent_id is not None else None
            seen += 1
        return None

    def communes(self, text: str) -> list[int]:
        """In-scope communes the text names: by full name, then by the name without its kind."""
        key, kind, rest = name_parts(text, COMMUNE_KINDS)
        found = list(self.by_full.get(key, []))
        if not found and kind is not None:
            found = list(self.by_full.get(normalise(f"{kind} {rest}"), []))
        if not found:
            found = list(self.by_short.get(rest, [])) or list(self.by_short.get(key, []))
        return found

    def describe(self, unit_id: int) -> str:
        """"Xã Lương Điền (Huyện Vĩnh Tường, Tỉnh Vĩnh Phúc)"."""
        unit = self.rows[unit_id]
        above = [a.name for t in ("district", "province") if (a := self.ancestor(unit_id, t)) is not None]
        return f"{unit.name} ({', '.join(above)})" if above else unit.name

    def find_commune(self, commune: str, district: str | None, province: str | None) -> int | str:
        """A commune id, or the Vietnamese message saying why there is none."""
        found = self.communes(commune)
        where = []
        if district:
            where.append(district)
            found = [c for c in found if (a := self.ancestor(c, "district")) is None
                     or self.matches(a, district, DISTRICT_KINDS)]
        if province:
            where.append(province)
            found = [c for c in found if (a := self.ancestor(c, "province")) is None
                     or self.matches(a, province, PROVINCE_KINDS)]
        if len(found) > 1:  # "Tam Dân" and "Tam Đàn" fold alike: the diacritics as written tell them apart
            exact = [c for c in found if self.written_as(c, commune, COMMUNE_KINDS)]
            found = exact if len(exact) == 1 else found
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = "; ".join(self.describe(c) for c in found[:6])
            return (f"“{commune}” trùng tên nhiều xã, phường, thị trấn: {names}. "
                    "Hãy ghi thêm cột Huyện và Tỉnh để phân biệt.")
        place = f" thuộc {', '.join(where)}" if where else ""
        if self._exists_outside_scope(commune):
            return f"“{commune}”{place} nằm ngoài phạm vi tài khoản của bạn."
        return f"Không tìm thấy xã, phường, thị trấn “{commune}”{place}."

    def _exists_outside_scope(self, commune: str) -> bool:
        """True when a commune of that name exists outside the actor's scope (to say so rather than "not found")."""
        if self.actor.is_national:
            return False
        key, kind, rest = name_parts(commune, COMMUNE_KINDS)
        names = {key, rest} | {normalise(f"{k} {rest}") for k in set(COMMUNE_KINDS.values())}
        if kind is not None:
            names.add(normalise(f"{kind} {rest}"))
        stmt = select(Unit.id).where(Unit.tier == "commune", Unit.search_name.in_(sorted(names))).limit(1)
        return self.session.scalar(stmt) is not None


def unit_full_name(units: Units, ref: UnitRef, *, village_names: Mapping[int, str],
                   new_villages: Mapping[tuple[int, str], NewVillage]) -> str:
    """"Thôn Phú Mỹ" or "Xã Tam Phước": the unit's full name, created or not."""
    if isinstance(ref, int):
        return village_names.get(ref) or units.rows[ref].name
    _, commune_id, folded = ref
    return new_villages[(commune_id, folded)].name


def unit_label(units: Units, ref: UnitRef, commune_id: int, *, village_names: Mapping[int, str],
               new_villages: Mapping[tuple[int, str], NewVillage]) -> str:
    """The unit with its commune and district, for the preview."""
    names = [unit_full_name(units, ref, village_names=village_names, new_villages=new_villages)]
    if ref != commune_id:
        names.append(units.rows[commune_id].name)
    district = units.ancestor(commune_id, "district")
    if district is not None:
        names.append(district.name)
    return ", ".join(names)
