"""The notes under a page's date: which administrative structure its figures follow, and the regrouping switch."""

from datetime import date

import streamlit as st

from db import history, vocab
from db.access import Actor
from db.structures import LEGACY, NEW
from ui import data, navigation, widgets

REGROUPERS = frozenset({"leader", "officer", "admin"})  # who may view a past day by today's units


def gone_warning(unit: str, *, own: bool) -> str:
    """The warning over the figures of a unit that ended with the reform (the account's own: it waits to be rebound)."""
    waiting = "; tài khoản đang chờ quản trị viên gán đơn vị mới" if own else ""
    return f"{unit} không còn từ 01/07/2025 (sắp xếp đơn vị hành chính){waiting}. Số liệu dưới đây theo địa giới cũ."


def structure_notes(actor: Actor, unit_id: int | None, as_of: date, *, key: str) -> str | None:
    """Say which structure the figures of a unit (None: the country) on `as_of` follow; "2025" when the reader
    switched a past day of the country to today's provinces.

    Nothing is said in a database holding one structure only. The return value goes to the reads of the
    child units as `structure=` (None: the structure of the day, which db/ picks itself). Only the country
    has a choice: a legacy unit's children are legacy units, and a 2025 unit's past days are already its
    villages' figures regrouped by today's units, which the note says.
    """
    view = data.read(history.fetch_history_view, actor, unit_id=unit_id, as_of=as_of)
    if not view.both_loaded:
        return None
    if view.unit_gone:
        st.warning(widgets.md(gone_warning(str(view.unit), own=view.own_unit)), icon=":material/history:")
        return None
    if view.unit_not_yet:
        st.caption(vocab.REGROUP_NOTE)
        _predecessor_links(actor, unit_id)
        return None
    st.caption(vocab.STRUCTURE_NOTES[view.structure])
    if view.unit is not None or view.structure != LEGACY or actor.role not in REGROUPERS:
        return None
    if st.toggle(vocab.REGROUP_LABEL, key=f"{key}_regroup"):
        st.caption(vocab.REGROUP_NOTE)
        return NEW
    return None


def by_structure(structure: str | None) -> dict[str, str]:
    """The keyword a read of child units takes for a regrouped view (none for the structure of the day)."""
    return {"structure": structure} if structure else {}


def _predecessor_links(actor: Actor, unit_id: int | None) -> None:
    """Buttons to the legacy units a 2025 unit was formed from: its past as it was kept, by district."""
    if unit_id is None:
        return
    found = data.read(history.fetch_predecessors, actor, unit_id=unit_id)
    if not found:
        return
    row = st.container(horizontal=True)
    row.caption(vocab.PREDECESSORS_LABEL)
    for uid, name in found:
        if row.button(widgets.md(name), key=f"predecessor_{uid}", type="tertiary", icon=":material/history:"):
            navigation.go_to(uid)
