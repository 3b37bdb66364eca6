"""What a page says about the structure its figures follow: which one the day picked falls in, and the actor's own unit."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.access import Actor
from db.models import Unit
from db.structures import LEGACY, NEW, structure_on


@dataclass(frozen=True)
class HistoryView:
    """The structure notes of a page for one day."""

    both_loaded: bool  # both structures are in the database (a legacy-only one shows no notes)
    structure: str  # the structure in force on the day: "legacy" or "2025"
    own_unit_gone: str | None  # the actor's unit's name when it no longer exists on the day (a legacy unit after 30/06/2025)


def both_structures_loaded(session: Session) -> bool:
    """True when provinces of both the legacy and the 2025 structure are loaded."""
    def has(structure: str) -> bool:
        return bool(session.scalar(select(exists().where(Unit.tier == "province", Unit.structure == structure))))
    return has(LEGACY) and has(NEW)


def fetch_history_view(session: Session, *, actor: Actor, as_of: date) -> HistoryView:
    """The structure of `as_of`, whether both are loaded, and whether the actor's own unit had ended by then.

    It reads only the actor's own unit, so it needs no scope check.
    """
    gone = None
    if actor.unit_id is not None:
        own = session.execute(select(Unit.name, Unit.valid_to).where(Unit.id == actor.unit_id)).first()
        if own is not None and own.valid_to is not None and own.valid_to < as_of:
            gone = own.name
    return HistoryView(both_loaded=both_structures_loaded(session), structure=structure_on(as_of), own_unit_gone=gone)
