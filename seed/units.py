"""Load the official provinces, districts and communes shipped by `vietnamadminunits`."""

import math
from collections.abc import Callable

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


def load_units(session: Session, *, structure: str = "legacy", progress: Progress = print) -> int:
    """Insert the official units missing for `structure`; return how many were added. Idempotent."""
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

    def add(tier: str, code: str, parent: int | None, level: int, full: str, short: str, kind: str, lat, lon) -> int:
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
    counts.rebuild(session)  # the communes count from now on
    bump_data_version(session)
    added = {t: sum(1 for u in units if u["tier"] == t) for t in ("province", "district", "commune")}
    progress(
        f"Đơn vị hành chính ({structure}): thêm {added['province']} tỉnh, {added['district']} huyện, "
        f"{added['commune']} xã."
    )
    return len(units)
