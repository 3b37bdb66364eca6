"""What a page says about the structure its figures follow: the day's structure, and the unit in view against it."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from db.access import Actor, ensure_can_read_unit, scope_unit
from db.models import Unit, UnitPath, UnitSuccession
from db.structures import LEGACY, structure_on
from db.units import both_structures_loaded


@dataclass(frozen=True)
class HistoryView:
    """The structure notes of a page for one unit and one day."""

    both_loaded: bool  # both structures are in the database (a legacy-only one shows no notes)
    structure: str  # the structure in force on the day: "legacy" or "2025"
    unit: str | None  # the unit in view's name (None: the whole country, whose provinces follow the day)
    unit_gone: bool  # the unit had ended by the day: a legacy unit after 30/06/2025, its figures still the legacy ones
    unit_not_yet: bool  # the unit did not exist yet: a 2025 unit before 01/07/2025, its villages' figures regrouped
    own_unit: bool  # the unit is the account's own (an account bound to a unit that ended waits to be rebound)


def fetch_history_view(session: Session, *, actor: Actor, unit_id: int | None, as_of: date) -> HistoryView:
    """The structure of `as_of`, whether both are loaded, and whether the unit in view (the actor's own by default) existed then."""
    unit_id = scope_unit(session, actor, unit_id)
    loaded = both_structures_loaded(session)
    if unit_id is None:
        return HistoryView(loaded, structure_on(as_of), None, unit_gone=False, unit_not_yet=False, own_unit=False)
    row = session.execute(select(Unit.name, Unit.valid_from, Unit.valid_to).where(Unit.id == unit_id)).one()
    return HistoryView(
        loaded, structure_on(as_of), row.name,
        unit_gone=row.valid_to is not None and row.valid_to < as_of,
        unit_not_yet=row.valid_from is not None and as_of < row.valid_from,
        own_unit=unit_id == actor.unit_id,
    )


def fetch_predecessors(session: Session, *, actor: Actor, unit_id: int) -> list[tuple[int, str]]:
    """The legacy units of the same tier a 2025 province or commune was formed from, by the official mapping.

    From them a reader of a 2025 unit reaches its history as it was kept (by district before 01/07/2025);
    each is readable to that reader (db/access.py, history rule). Empty for a legacy unit.
    """
    ensure_can_read_unit(session, actor, unit_id)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.structure == LEGACY or unit.tier not in ("province", "commune"):
        return []
    new_commune, into = aliased(Unit), aliased(UnitPath)
    legacy_communes = (select(UnitSuccession.legacy_id)
                       .join(new_commune, new_commune.id == UnitSuccession.new_id)
                       .join(into, into.descendant_id == new_commune.id)
                       .where(into.ancestor_id == unit_id))
    stmt = select(Unit.id, Unit.name).where(Unit.structure == LEGACY, Unit.tier == unit.tier)
    if unit.tier == "commune":
        stmt = stmt.where(Unit.id.in_(legacy_communes))
    else:
        above = aliased(UnitPath)
        stmt = stmt.where(Unit.id.in_(select(above.ancestor_id).where(above.descendant_id.in_(legacy_communes))))
    return [(int(i), str(n)) for i, n in session.execute(stmt.order_by(Unit.name))]
