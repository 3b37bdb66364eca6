"""Units: the administrative tree (province → district → commune → village), its search, and new villages."""

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from db import vocab
from db.access import Actor, ensure_can_read_unit, ensure_can_write_unit
from db.audit import record
from db.errors import NotFound, UserError
from db.models import Team, Unit, UnitPath
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


def _unit_info(session: Session, unit: Unit) -> UnitInfo:
    has_children = bool(session.scalar(select(func.count()).where(Unit.parent_id == unit.id).limit(1)))
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


def fetch_children(session: Session, *, actor: Actor, parent_id: int | None) -> pd.DataFrame:
    """The children of a unit (the provinces for `None`), by name, inside the actor's scope."""
    cond: ColumnElement[bool]
    if parent_id is None:
        if not actor.is_national:
            return fetch_children(session, actor=actor, parent_id=actor.unit_id)
        cond = Unit.parent_id.is_(None)
    else:
        ensure_can_read_unit(session, actor, parent_id)
        cond = Unit.parent_id == parent_id
    rows = session.execute(select(Unit.id, Unit.name, Unit.tier, Unit.kind).where(cond)).all()
    return sort_frame(pd.DataFrame(rows, columns=["id", "name", "tier", "kind"]), "name")


def fetch_ancestors(session: Session, *, actor: Actor, unit_id: int) -> list[UnitInfo]:
    """The chain from the actor's root down to the unit, the unit included (a breadcrumb)."""
    ensure_can_read_unit(session, actor, unit_id)
    stmt = (
        select(Unit)
        .join(UnitPath, UnitPath.ancestor_id == Unit.id)
        .where(UnitPath.descendant_id == unit_id)
        .order_by(UnitPath.depth.desc())
    )
    chain = [_unit_info(session, u) for u in session.scalars(stmt)]
    if actor.unit_id is not None:
        ids = [u.id for u in chain]
        chain = chain[ids.index(actor.unit_id) :]
    return chain


def search_units_stmt(*, query: str, tiers: tuple[str, ...] | None, root_id: int | None, limit: int) -> Select:
    """Units whose folded name contains the folded query, labelled with their parent and grandparent."""
    parent, grand = aliased(Unit), aliased(Unit)
    stmt = (
        select(Unit.id, Unit.name, Unit.tier, parent.name.label("parent"), grand.name.label("grandparent"))
        .outerjoin(parent, parent.id == Unit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
        .where(Unit.search_name.contains(fold(query), autoescape=True))
        .order_by(Unit.level, func.length(Unit.name), Unit.name)
        .limit(limit)
    )
    if tiers:
        stmt = stmt.where(Unit.tier.in_(tiers))
    if root_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.ancestor_id == root_id))
    return stmt


def search_units(
    session: Session, *, actor: Actor, query: str, tiers: tuple[str, ...] | None = None, limit: int = 50
) -> pd.DataFrame:
    """Search units in scope ignoring case and diacritics: "tam phuoc" finds "Xã Tam Phước"."""
    query = search_text(query)  # a pasted page is a mistake to name, not a query for the database
    if not fold(query):
        return pd.DataFrame(columns=["id", "name", "tier", "parent", "grandparent", "label"])
    rows = session.execute(
        search_units_stmt(query=query, tiers=tiers, root_id=actor.unit_id, limit=limit)
    ).all()
    df = pd.DataFrame(rows, columns=["id", "name", "tier", "parent", "grandparent"])
    df["label"] = [
        ", ".join(p for p in (r.name, r.parent, r.grandparent) if isinstance(p, str)) for r in df.itertuples()
    ]
    # SQL's order (higher levels and shorter names first) picks which `limit` units are listed; the list
    # shows them by level, then in Vietnamese order.
    df["level"] = df["tier"].map({tier: i for i, tier in enumerate(vocab.TIERS)})
    return sort_frame(df, "level", "label").drop(columns=["level"])


def resolve_unit(session: Session, *, actor: Actor, ref: str) -> UnitInfo:
    """Find a unit by official code, exact name, or name without diacritics, when that is unique."""
    ref = ref.strip()
    candidates: list[Unit] = []
    for cond in (Unit.code == ref, Unit.name == ref, Unit.search_name == fold(ref)):
        candidates = list(session.scalars(select(Unit).where(cond).limit(20)))
        if candidates:
            break
    if not candidates:
        raise NotFound(f"Không tìm thấy địa bàn “{ref}”.")
    if len(candidates) > 1:
        parent_ids = [c.parent_id for c in candidates]
        parents: dict[int | None, str] = {u.id: u.name for u in session.scalars(select(Unit).where(Unit.id.in_(parent_ids)))}
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
        .where(Unit.parent_id == commune_id, Unit.tier == "village")
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
