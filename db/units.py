"""Units: the administrative tree (province → district → commune → village), its search, and new villages."""

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from db import vocab
from db.access import Actor, ensure_can_read_unit, ensure_can_write_unit
from db.audit import record
from db.errors import NotFound, UserError
from db.models import Team, Unit, UnitPath
from db.structures import CODE_PREFIX, qualified_code, split_qualified, structure_on
from db.teams import team_active_on
from db.text import fold, sort_frame
from db.validation import require_text, search_text

NATIONAL_NAME = "Cả nước"


@dataclass(frozen=True)
class UnitInfo:
    """One unit with what pages need to label and navigate it."""

    id: int
    name: str
    short_name: str
    tier: str
    kind: str
    level: int
    parent_id: int | None
    code: str | None
    has_children: bool
    structure: str = "legacy"  # legacy | 2025
    valid_from: date | None = None  # the first day the unit exists (None: always)
    valid_to: date | None = None  # the last day (None: still exists)


def child_ids(parent_id: int) -> Select:
    """The ids of a unit's children: its closure rows at depth 1.

    A carried village has a closure row at depth 1 under both its legacy commune and its 2025 commune,
    so each lists it; its `parent_id` names only the second.
    """
    return select(UnitPath.descendant_id).where(UnitPath.ancestor_id == parent_id, UnitPath.depth == 1)


def valid_on(day: date, unit: type[Unit] = Unit) -> ColumnElement[bool]:
    """The unit exists on the day (units without validity always do)."""
    return and_(or_(unit.valid_from.is_(None), unit.valid_from <= day), or_(unit.valid_to.is_(None), unit.valid_to >= day))


def root_structure(session: Session, structure: str | None = None, *, as_of: date | None = None) -> str | None:
    """The structure whose provinces stand for the country: the one asked for, else the one in force on the date.

    None (every province) while only one structure is loaded: a legacy-only database lists its provinces as before.
    """
    if structure is not None:
        return structure
    return structure_on(as_of or date.today()) if both_structures_loaded(session) else None


def both_structures_loaded(session: Session) -> bool:
    """True once provinces of both structures are in the database (names and codes may then repeat)."""
    return len(set(session.scalars(select(Unit.structure).where(Unit.parent_id.is_(None)).distinct()))) > 1


def root_cond(structure: str | None, unit: type[Unit] = Unit) -> ColumnElement[bool]:
    """The provinces (units without a parent), of one structure when given."""
    cond = unit.parent_id.is_(None)
    return cond if structure is None else and_(cond, unit.structure == structure)


def children_cond(
    session: Session, parent_id: int | None, *, as_of: date | None = None, structure: str | None = None,
    unit: type[Unit] = Unit,
) -> ColumnElement[bool]:
    """Which units are the children of `parent_id` (closure rows at depth 1); for the country (None) the provinces
    of `structure`, else of the structure in force on `as_of` (today by default) once both are loaded."""
    if parent_id is not None:
        return unit.id.in_(child_ids(parent_id))
    return root_cond(root_structure(session, structure, as_of=as_of), unit)


def _unit_info(session: Session, unit: Unit) -> UnitInfo:
    has_children = bool(session.scalar(select(exists(child_ids(unit.id)))))
    return UnitInfo(
        id=unit.id,
        name=unit.name,
        short_name=unit.short_name,
        tier=unit.tier,
        kind=unit.kind,
        level=unit.level,
        parent_id=unit.parent_id,
        code=unit.code,
        has_children=has_children,
        structure=unit.structure,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
    )


def fetch_unit(session: Session, *, actor: Actor, unit_id: int) -> UnitInfo:
    """One unit inside the actor's scope."""
    # The id may come from the address (?unit=…): beyond the 32-bit id column PostgreSQL raises a DataError
    # and SQLite cannot even bind one beyond 64 bits; such a unit does not exist.
    unit = session.get(Unit, unit_id) if -(2**31) <= unit_id < 2**31 else None
    if unit is None:
        raise NotFound("Không tìm thấy địa bàn.")
    ensure_can_read_unit(session, actor, unit_id)
    return _unit_info(session, unit)


def fetch_children(
    session: Session, *, actor: Actor, parent_id: int | None, structure: str | None = None
) -> pd.DataFrame:
    """The children of a unit (the provinces for `None`, of `structure` or today's), by name, inside the actor's scope."""
    cond: ColumnElement[bool]
    if parent_id is None:
        if not actor.is_national:
            return fetch_children(session, actor=actor, parent_id=actor.unit_id)
        cond = root_cond(root_structure(session, structure))
    else:
        ensure_can_read_unit(session, actor, parent_id)
        cond = Unit.id.in_(child_ids(parent_id))
    rows = session.execute(select(Unit.id, Unit.name, Unit.tier, Unit.kind).where(cond)).all()
    return sort_frame(pd.DataFrame(rows, columns=["id", "name", "tier", "kind"]), "name")


def _chain_above(session: Session, unit_id: int) -> list[Unit]:
    """A unit and its ancestors through the closure rows, the top first (one chain: not for a carried village)."""
    stmt = (
        select(Unit)
        .join(UnitPath, UnitPath.ancestor_id == Unit.id)
        .where(UnitPath.descendant_id == unit_id)
        .order_by(UnitPath.depth.desc())
    )
    return list(session.scalars(stmt))


def fetch_ancestors(session: Session, *, actor: Actor, unit_id: int) -> list[UnitInfo]:
    """The chain from the actor's root down to the unit, the unit included (a breadcrumb).

    A carried village sits in two chains: the one holding the actor's unit is followed (a legacy district's
    officer sees Huyện → Xã → Thôn), else the current one (its 2025 commune's).
    """
    ensure_can_read_unit(session, actor, unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Không tìm thấy địa bàn.")
    parents = [p for p in (unit.parent_id, unit.former_parent_id) if p is not None]
    chains = [[*_chain_above(session, p), unit] for p in parents] or [[unit]]
    chain = chains[0]
    if actor.unit_id is not None:
        chain = next((c for c in chains if any(u.id == actor.unit_id for u in c)), chain)
    units = [_unit_info(session, u) for u in chain]
    if actor.unit_id is not None:
        ids = [u.id for u in units]
        if actor.unit_id in ids:
            units = units[ids.index(actor.unit_id) :]
    return units


def search_units_stmt(
    *, query: str, tiers: tuple[str, ...] | None, root_id: int | None, limit: int, structure: str | None = None
) -> Select:
    """Units whose folded name contains the folded query, labelled with their parent and grandparent."""
    parent, grand, former = aliased(Unit), aliased(Unit), aliased(Unit)
    stmt = (
        select(Unit.id, Unit.name, Unit.tier, parent.name.label("parent"), grand.name.label("grandparent"),
               Unit.structure, former.name.label("former"))
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
        .outerjoin(former, former.id == Unit.former_parent_id)
        .where(Unit.search_name.contains(fold(query), autoescape=True))
        .order_by(Unit.level, func.length(Unit.name), Unit.name)
        .limit(limit)
    )
    if tiers:
        stmt = stmt.where(Unit.tier.in_(tiers))
    if structure is not None:
        stmt = stmt.where(Unit.structure == structure)
    if root_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.ancestor_id == root_id))
    return stmt


def search_units(
    session: Session,
    *,
    actor: Actor,
    query: str,
    tiers: tuple[str, ...] | None = None,
    limit: int = 50,
    structure: str | None = None,
) -> pd.DataFrame:
    """Search units in scope ignoring case and diacritics: "tam phuoc" finds "Xã Tam Phước".

    With both structures loaded each hit says which one it belongs to ("… · địa giới mới"); `structure`
    keeps one of them only.
    """
    columns = ["id", "name", "tier", "parent", "grandparent", "structure", "label"]
    query = search_text(query)  # a pasted page is a mistake to name, not a query for the database
    if not fold(query):
        return pd.DataFrame(columns=columns)
    rows = session.execute(
        search_units_stmt(query=query, tiers=tiers, root_id=actor.unit_id, limit=limit, structure=structure)
    ).all()
    df = pd.DataFrame(rows, columns=[*columns[:-1], "former"])
    tagged = both_structures_loaded(session)
    # A carried village also names its former commune: two merged communes' "Thôn 1" now share a 2025 commune.
    df["label"] = [
        ", ".join(p for p in (r.name, r.parent, r.grandparent) if isinstance(p, str))
        + (f" · {vocab.STRUCTURE_LABELS.get(r.structure, r.structure)}" if tagged else "")
        + (f" · {vocab.FORMER_COMMUNE_LABEL} {r.former}" if isinstance(r.former, str) else "")
        for r in df.itertuples()
    ]
    df = df.drop(columns=["former"])
    # SQL's order (higher levels and shorter names first) picks which `limit` units are listed; the list
    # shows them by level, then in Vietnamese order.
    df["level"] = df["tier"].map({tier: i for i, tier in enumerate(vocab.TIERS)})
    return sort_frame(df, "level", "label").drop(columns=["level"])


def _is_valid(unit: Unit, day: date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (unit.valid_to is None or unit.valid_to >= day)


def resolve_unit(session: Session, *, actor: Actor, ref: str, as_of: date | None = None) -> UnitInfo:
    """Find a unit by official code, exact name, or name without diacritics, when that is unique.

    A code may name its structure ("mới:20422", "cũ:20422"); codes and names repeat across the structures,
    and a reference matching units of both is refused with their qualified codes, unless only one of them
    exists on `as_of`.
    """
    ref = ref.strip()
    structure, bare = split_qualified(ref)
    candidates: list[Unit] = []
    for cond in (Unit.code == bare, Unit.name == bare, Unit.search_name == fold(bare)):
        stmt = select(Unit).where(cond)
        if structure is not None:
            stmt = stmt.where(Unit.structure == structure)
        candidates = list(session.scalars(stmt.limit(20)))
        if candidates:
            break
    if not candidates:
        raise NotFound(f"Không tìm thấy địa bàn “{ref}”.")
    if len(candidates) > 1 and as_of is not None and len({c.structure for c in candidates}) > 1:
        valid = [c for c in candidates if _is_valid(c, as_of)]
        if len(valid) == 1:
            candidates = valid
    if len(candidates) > 1:
        parent_ids = [c.parent_id for c in candidates]
        parents: dict[int | None, str] = {u.id: u.name for u in session.scalars(select(Unit).where(Unit.id.in_(parent_ids)))}
        if len({c.structure for c in candidates}) > 1:
            names = "; ".join(
                f"{c.name} – {parents.get(c.parent_id, '')} ({vocab.STRUCTURE_LABELS.get(c.structure, c.structure)}"
                + (f", mã “{qualified_code(c.structure, c.code)}”)" if c.code else ")")
                for c in candidates
            )
            example = next((qualified_code(c.structure, c.code) for c in candidates if c.code), None) or (
                f"{CODE_PREFIX['2025']}:20422")
            raise NotFound(f"“{ref}” trùng tên nhiều địa bàn: {names}. Hãy dùng mã có tiền tố, ví dụ “{example}”.")
        names = "; ".join(f"{c.name} – {parents.get(c.parent_id, '')} (mã {c.code or c.id})" for c in candidates)
        raise NotFound(f"“{ref}” trùng tên nhiều địa bàn: {names}. Hãy dùng mã địa bàn.")
    ensure_can_read_unit(session, actor, candidates[0].id)
    return _unit_info(session, candidates[0])


def fetch_villages(session: Session, *, actor: Actor, commune_id: int, as_of: date | None = None) -> pd.DataFrame:
    """The villages of a commune with their active team, if any."""
    ensure_can_read_unit(session, actor, commune_id)
    as_of = as_of or date.today()
    stmt = (
        select(Unit.id, Unit.kind, Unit.name, Team.id, Team.name, Team.established_on)
        .outerjoin(Team, and_(Team.unit_id == Unit.id, team_active_on(as_of)))
        .where(Unit.id.in_(child_ids(commune_id)), Unit.tier == "village")
    )
    df = pd.DataFrame(
        session.execute(stmt).all(),
        columns=["unit_id", "kind", "name", "team_id", "team_name", "established_on"],
    )
    return sort_frame(df, "name")  # "Thôn 2" before "Thôn 10", "Thôn Đàn" before "Thôn Tây"


# ---- writes -------------------------------------------------------------------------------------


def insert_unit(session: Session, unit: Unit) -> Unit:
    """Add a unit and its closure rows (self and every ancestor)."""
    session.add(unit)
    session.flush()
    session.add(UnitPath(ancestor_id=unit.id, descendant_id=unit.id, depth=0))
    if unit.parent_id is not None:
        for anc_id, depth in session.execute(
            select(UnitPath.ancestor_id, UnitPath.depth).where(UnitPath.descendant_id == unit.parent_id)
        ).all():
            session.add(UnitPath(ancestor_id=anc_id, descendant_id=unit.id, depth=depth + 1))
    return unit


def create_village(session: Session, *, actor: Actor, commune_id: int, kind: str, name: str) -> Unit:
    """Add a village under a commune; the name must be new in that commune."""
    commune = session.get(Unit, commune_id)
    if commune is None:
        raise NotFound("Không tìm thấy xã / phường / thị trấn đã chọn.", field="commune")
    ensure_can_write_unit(session, actor, commune_id)
    if commune.tier != "commune":
        raise UserError("Thôn, khối phố chỉ được thêm vào một xã, phường hoặc thị trấn.", field="commune")
    if kind not in vocab.VILLAGE_KINDS:
        raise UserError("Hãy chọn loại địa bàn (thôn, khối phố, tổ dân phố…).", field="kind")
    short = require_text(name, field="name", label="Tên thôn, khối phố")
    if fold(short).startswith(fold(kind) + " "):  # the officer typed "Thôn Phú Mỹ" in full
        short = short[len(kind) + 1 :].strip() or short
    full = f"{kind} {short}"
    taken = session.scalar(
        select(func.count()).where(Unit.parent_id == commune_id, Unit.search_name == fold(full))
    )
    if taken:
        raise UserError(f"“{full}” đã có trong {commune.name}.", field="name")
    unit = insert_unit(
        session,
        Unit(
            parent_id=commune_id,
            structure=commune.structure,
            tier="village",
            level=commune.level + 1,
            kind=kind,
            name=full,
            short_name=short,
            search_name=fold(full),
        ),
    )
    record(session, actor, "create", unit, None)
    return unit
