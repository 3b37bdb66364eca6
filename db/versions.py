"""The data version: write counters, one per province, that key every cached read.

A write marks its session (`bump_data_version`) with the units it changed; when the transaction
commits, after the kept tables (db/counts.py), the counter of each province it touched moves by the
number of writes (scope 0 when the write has no province: a national account, a target for the
whole country, a bulk load). The counters are the sums of their rows, one per shard of db/counts.py:
on PostgreSQL writers in different server processes add to different rows and do not queue behind
each other. On PostgreSQL the commit also sends NOTIFY, so every server process learns of it at once
(db/live.py); the rows stay the truth that a process re-reads.

Every commit also moves scope -1 by its number of writes: the national counter (`fetch_data_version`).
A page keys its figures on the version of its reader's province plus scope 0 (`version_for`), so a
write in another province leaves its cached figures in place; a national page keys on scope -1.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from db.models import DataVersion, Unit, UnitPath

CHANNEL = "data_version"  # the PostgreSQL NOTIFY channel a commit that moved a counter signals on
NATIONWIDE = 0  # the scope of writes that belong to no province
EVERYTHING = -1  # the scope every write moves once: the national figures' counter, one step per write

_BUMP = "data_version_bump"
MOVED = "data_version_moved"  # session.info flag: this transaction moved a counter
_PROVINCES = (
    select(UnitPath.descendant_id, UnitPath.ancestor_id)
    .join(Unit, Unit.id == UnitPath.ancestor_id)
    .where(UnitPath.descendant_id.in_(bindparam("ids", expanding=True)), Unit.tier == "province")
)
_SCOPE_SUMS = select(DataVersion.scope_id, func.sum(DataVersion.version)).group_by(DataVersion.scope_id)

after_commit: list[Callable[[], None]] = []
"""Called after a transaction that moved a counter commits in this process (db/live.py listens)."""


@dataclass
class Bump:
    """The writes a transaction counted and the units they name."""

    writes: int = 0
    units: set[int] = field(default_factory=set)
    nationwide: bool = False


def bump_data_version(session: Session, unit_ids: Iterable[int | None] | None = None) -> None:
    """Count one write in the caller's transaction; the counters of the units' provinces move when it commits.

    Without `unit_ids`, or with None among them, the write counts for every province (scope 0). The
    units the kept tables recount (db/counts.py) are added at commit, so a write of a team, a member
    or a report need not name them.
    """
    bump = session.info.setdefault(_BUMP, Bump())
    bump.writes += 1
    for unit_id in (None,) if unit_ids is None else unit_ids:
        if unit_id is None:
            bump.nationwide = True
        else:
            bump.units.add(unit_id)


def take_bump(session: Session) -> Bump | None:
    """The writes the transaction counted, if any (and clear them)."""
    bump = session.info.pop(_BUMP, None)
    return bump if bump is not None and bump.writes else None


def bump_scopes(conn: Connection, bump: Bump, touched: Iterable[int]) -> set[int]:
    """The scopes whose counters a commit moves: the provinces of the units it touched, or scope 0."""
    units = bump.units | set(touched)
    # A village carried over on 01/07/2025 sits under two provinces (legacy and 2025): both counters move.
    rows = conn.execute(_PROVINCES, {"ids": sorted(units)}).all() if units else []
    found = {unit for unit, _ in rows}
    scopes = {province for _, province in rows}
    if bump.nationwide or not scopes or len(found) < len(units):
        scopes.add(NATIONWIDE)  # a unit without a province (the country, a unit being deleted) counts everywhere
    return scopes | {EVERYTHING}


def committed(session: Session) -> None:
    """After a commit: tell this process's listeners when the transaction moved a counter."""
    if session.info.pop(MOVED, False):
        for callback in after_commit:
            callback()


def fetch_data_version(session: Session | Connection) -> int:
    """The national counter: it moves by one with every audited write anywhere; 0 on an empty database."""
    return int(session.scalar(select(func.sum(DataVersion.version)).where(DataVersion.scope_id == EVERYTHING)) or 0)


def fetch_scope_versions(session: Session | Connection) -> dict[int, int]:
    """Each scope's counter (province id, or 0 for writes of no province)."""
    return {int(scope): int(total) for scope, total in session.execute(_SCOPE_SUMS)}


def fetch_province(session: Session | Connection, unit_id: int) -> int | None:
    """The province a unit belongs to (itself for a province); None for an unknown unit."""
    row = session.execute(_PROVINCES, {"ids": [unit_id]}).first()
    return int(row[1]) if row else None


def version_for(versions: Mapping[int, int], province_id: int | None) -> int:
    """The counter a reader's figures depend on: its province's plus the nationwide one; the national one for the country."""
    if province_id is None:
        return versions.get(EVERYTHING, 0)
    return versions.get(province_id, 0) + versions.get(NATIONWIDE, 0)
