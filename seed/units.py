"""Load the official provinces, districts and communes shipped by `vietnamadminunits`."""

import math
from collections.abc import Callable, Iterable

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from db import counts
from db.geo import POSITION_FIXES
from db.models import Unit, UnitPath
from db.text import fold
from db.versions import bump_data_version

TABLES = {"legacy": "admin_units_legacy", "2025": "admin_units"}
Progress = Callable[[str], None]


def _num(value: object) -> float | None:
    """A coordinate, or None for the package's missing values."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def official_rows(structure: str) -> list[dict]:
    """The package's rows for a structure: one per commune (legacy: with its district)."""
    from vietnamadminunits.database import get_data

    return get_data(table=TABLES[structure])


def _kind(full: str, short: str) -> str:
    """The kind prefix of a full name: "Tỉnh Quảng Nam" → "Tỉnh"."""
    return full[: len(full) - len(short)].strip() if full.endswith(short) else full.split(" ")[0]


def correct_positions(session: Session, *, structure: str) -> int:
    """Give units loaded before POSITION_FIXES existed their real position; return how many moved."""
    fixes = {code: pos for (struct, tier, code), pos in POSITION_FIXES.items() if struct == structure}
    moved = 0
    for unit in session.scalars(select(Unit).where(Unit.structure == structure, Unit.code.in_(list(fixes)))):
        pos = POSITION_FIXES.get((structure, unit.tier, unit.code or ""))
        if pos is not None and (unit.lat, unit.lon) != pos:
            unit.lat, unit.lon = pos
            moved += 1
    return moved


def load_units(session: Session, *, structure: str = "legacy", progress: Progress = print, rebuild: bool = True) -> int:
    """Insert the official units missing for `structure`; return how many were added. Idempotent.

    `rebuild=False` leaves the kept tables to the caller (who loads more first, then rebuilds once).
    """
    rows = official_rows(structure)
    existing = {
        (tier, code): uid
        for uid, tier, code in session.execute(
            select(Unit.id, Unit.tier, Unit.code).where(Unit.structure == structure, Unit.code.is_not(None))
        )
    }
    next_id = (session.scalar(select(func.max(Unit.id))) or 0) + 1
    units: list[dict] = []
    paths: list[dict] = []
    ancestors: dict[int, list[tuple[int, int]]] = {}

    def add(tier: str, code: str, parent: int | None, level: int, full: str, short: str, kind: str, lat: object, lon: object) -> int:
        nonlocal next_id
        key = (tier, code)
        if key in existing:
            return existing[key]
        uid = next_id
        next_id += 1
        existing[key] = uid
        lat, lon = POSITION_FIXES.get((structure, tier, code), (lat, lon))
        units.append(
            dict(id=uid, parent_id=parent, structure=structure, tier=tier, level=level, kind=kind, name=full,
                 short_name=short, search_name=fold(full), code=code, lat=_num(lat), lon=_num(lon))
        )
        chain = [(uid, 0)] + [(a, d + 1) for a, d in ancestors.get(parent, [])] if parent else [(uid, 0)]
        ancestors[uid] = chain
        paths.extend(dict(ancestor_id=a, descendant_id=uid, depth=d) for a, d in chain)
        return uid

    # Existing units' ancestor chains, so communes added later attach under loaded districts.
    for anc, desc, depth in session.execute(
        select(UnitPath.ancestor_id, UnitPath.descendant_id, UnitPath.depth)
        .join(Unit, Unit.id == UnitPath.descendant_id)
        .where(Unit.structure == structure, Unit.tier != "village")
    ):
        ancestors.setdefault(desc, []).append((anc, depth))

    for r in rows:
        prov = add("province", r["provinceCode"], None, 1, r["province"], r["provinceShort"],
                   _kind(r["province"], r["provinceShort"]), r["provinceLat"], r["provinceLon"])
        parent, level = prov, 2
        if structure == "legacy":
            parent = add("district", r["districtCode"], prov, 2, r["district"], r["districtShort"],
                         r["districtType"], r["districtLat"], r["districtLon"])
            level = 3
        if r.get("wardCode") and isinstance(r.get("ward"), str):
            add("commune", r["wardCode"], parent, level, r["ward"], r["wardShort"], r["wardType"],
                r["wardLat"], r["wardLon"])
    moved = correct_positions(session, structure=structure)
    if moved:
        progress(f"Đơn vị hành chính ({structure}): sửa tọa độ của {moved} đơn vị (quần đảo Hoàng Sa, Trường Sa).")
    if not units:
        progress(f"Đơn vị hành chính ({structure}): đã có đủ, không thêm gì.")
        return 0
    chunk = 2000
    for i in range(0, len(units), chunk):
        session.execute(insert(Unit), units[i : i + chunk], execution_options=counts.REBUILT)
    for i in range(0, len(paths), chunk * 2):
        session.execute(insert(UnitPath), paths[i : i + chunk * 2], execution_options=counts.REBUILT)
    if session.get_bind().dialect.name == "postgresql":
        # Ids were assigned here; move the sequence past them so later inserts do not collide.
        session.execute(text("SELECT setval(pg_get_serial_sequence('units', 'id'), (SELECT max(id) FROM units))"))
    if rebuild:
        counts.rebuild(session)  # the communes count from now on
    bump_data_version(session)
    added = {t: sum(1 for u in units if u["tier"] == t) for t in ("province", "district", "commune")}
    progress(
        f"Đơn vị hành chính ({structure}): thêm {added['province']} tỉnh, {added['district']} huyện, "
        f"{added['commune']} xã."
    )
    return len(units)


# ---- both structures: validity and the official legacy → 2025 mapping --------------------------------


def _key(text: str) -> str:
    """A mapping key compared loosely: the package spells a few with diacritics ("xãtamđàn")."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


class _Codes:
    """Package keys to official codes: the exact key first, else its folded form when only one key folds to it.

    Folding alone would merge "xãtamđàn" (Tam Đàn) with "xãtamdân" (Tam Dân).
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.exact: dict[str, str] = {}
        folded: dict[str, set[str]] = {}
        for key, code in pairs:
            self.exact[key] = code
            folded.setdefault(_key(key), set()).add(code)
        self.folded = {k: next(iter(v)) for k, v in folded.items() if len(v) == 1}

    def get(self, key: str) -> str | None:
        """The code of a key, or None when unknown or ambiguous."""
        return self.exact.get(key) or self.folded.get(_key(key))


def set_validity(session: Session) -> int:
    """Once both structures are loaded, close the legacy units on 30/06/2025 and open the 2025 ones on 01/07/2025.

    Villages keep no dates: a village is carried over, not replaced. Returns how many units changed.
    """
    from sqlalchemy import update

    from db.structures import LAST_LEGACY_DAY, REFORM_DAY

    present = set(session.scalars(select(Unit.structure).where(Unit.tier != "village").distinct()))
    if not {"legacy", "2025"} <= present:
        return 0
    changed = 0
    for structure, column, day in (("legacy", Unit.valid_to, LAST_LEGACY_DAY), ("2025", Unit.valid_from, REFORM_DAY)):
        result = session.execute(
            update(Unit).where(Unit.structure == structure, Unit.tier != "village", column.is_(None)).values({column: day}),
            execution_options=counts.REBUILT,
        )
        changed += result.rowcount or 0  # type: ignore[attr-defined]
    return changed


def converter_mapping() -> dict:
    """The package's official legacy → 2025 ward mapping (data/converter_2025.json)."""
    import json
    from importlib import resources

    return json.loads(resources.files("vietnamadminunits").joinpath("data/converter_2025.json").read_text("utf-8"))


def succession_rows(session: Session) -> list[dict]:
    """The rows of `unit_successions` for the communes loaded in both structures (legacy id, 2025 id, …)."""
    legacy_code = _Codes((f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}", r["wardCode"])
                         for r in official_rows("legacy") if r.get("wardCode"))
    new_code = _Codes((f"{r['provinceKey']}_{r['wardKey']}", r["wardCode"]) for r in official_rows("2025") if r.get("wardCode"))
    ids = {(s, code): uid for uid, s, code in session.execute(
        select(Unit.id, Unit.structure, Unit.code).where(Unit.tier == "commune", Unit.code.is_not(None)))}
    data = converter_mapping()
    out: dict[tuple[int, int], dict] = {}

    def add(legacy_key: str, province_key: str, ward_key: str, *, default: bool, divided: bool, area: object) -> None:
        old = ids.get(("legacy", legacy_code.get(legacy_key)))
        new = ids.get(("2025", new_code.get(f"{province_key}_{ward_key}")))
        if old is not None and new is not None:
            out[(old, new)] = dict(legacy_id=old, new_id=new, is_default=default, divided=divided, area_km2=_num(area))

    for province_key, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, legacy_keys in wards.items():
            for legacy_key in legacy_keys:
                add(legacy_key, province_key, ward_key, default=True, divided=False, area=None)
    for province_key, legacy in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for legacy_key, targets in legacy.items():
            for t in targets:
                add(legacy_key, province_key, t["newWardKey"], default=bool(t.get("isDefaultNewWard")), divided=True,
                    area=t.get("newWardAreaKm2"))
    return list(out.values())


def load_successions(session: Session, *, progress: Progress = print) -> int:
    """Insert the missing official successions of the loaded communes; return how many were added. Idempotent."""
    from db.models import UnitSuccession

    rows = succession_rows(session)
    have = set(session.execute(select(UnitSuccession.legacy_id, UnitSuccession.new_id)).all())
    new = [r for r in rows if (r["legacy_id"], r["new_id"]) not in have]
    for i in range(0, len(new), 2000):
        session.execute(insert(UnitSuccession), new[i : i + 2000])
    mapped = select(UnitSuccession.legacy_id)
    orphans = session.scalar(select(func.count()).select_from(Unit).where(
        Unit.structure == "legacy", Unit.tier == "commune", Unit.id.not_in(mapped))) or 0
    progress(f"Bảng chuyển đổi xã cũ → xã mới: thêm {_fmt(len(new))} dòng; "
             f"{_fmt(orphans)} xã cũ không có xã mới tương ứng (huyện đảo, xã không còn trong bảng chuyển đổi).")
    return len(new)


def _fmt(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def load_both(session: Session, *, structures: tuple[str, ...] = ("legacy", "2025"), progress: Progress = print) -> int:
    """Load the given structures, then (when both are present) their validity and the official mapping."""
    added = sum(load_units(session, structure=s, progress=progress, rebuild=False) for s in structures)
    changed = set_validity(session)
    if changed:
        bump_data_version(session)
        progress(f"Đặt thời hạn hiệu lực cho {_fmt(changed)} đơn vị (cũ đến 30/06/2025, mới từ 01/07/2025).")
    if added or changed:
        counts.rebuild(session)  # one recount: the new communes count from now on, each only while valid
    present = set(session.scalars(select(Unit.structure).where(Unit.tier == "commune").distinct()))
    if {"legacy", "2025"} <= present:
        load_successions(session, progress=progress)
    return added
