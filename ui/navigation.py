"""The unit in view, kept in the address (?unit=…) so a view can be bookmarked; breadcrumb and drill-down."""

import streamlit as st

from db import units
from db.access import Actor
from db.errors import UserError
from report import charts
from ui import data, widgets

PARAM = "unit"


def unit_in_view(actor: Actor, *, key: str) -> widgets.Picked:
    """The unit named by ?unit= (checked against the actor's scope), else the actor's own; with a breadcrumb."""
    raw = st.query_params.get(PARAM)
    unit = None
    if raw and raw.isdigit():
        try:
            info = data.read(units.fetch_unit, actor, unit_id=int(raw))
            unit = widgets.Picked(info.id, info.name, info.tier)
        except UserError:
            st.warning("Địa bàn trong địa chỉ không tồn tại hoặc nằm ngoài phạm vi của bạn; đang hiển thị địa bàn của bạn.")
    if unit is None:
        unit = widgets.scope_root(actor)
    _breadcrumb(actor, unit, key=key)
    found = _search(actor, key=key)
    return found or unit


def go_to(unit_id: int | None) -> None:
    """Show another unit: change the address and rerun."""
    if unit_id is None:
        st.query_params.pop(PARAM, None)
    else:
        st.query_params[PARAM] = str(unit_id)
    st.rerun()


def _breadcrumb(actor: Actor, unit: widgets.Picked, *, key: str) -> None:
    """Buttons for each level from the actor's root down to the unit in view."""
    chain = [] if unit.id is None else data.read(units.fetch_ancestors, actor, unit_id=unit.id)
    crumbs: list[tuple[int | None, str]] = [(None, units.NATIONAL_NAME)] if actor.is_national else []
    crumbs += [(u.id, u.name) for u in chain]
    row = st.container(horizontal=True)
    for i, (uid, name) in enumerate(crumbs):
        last = i == len(crumbs) - 1
        if row.button(widgets.md(name), key=f"{key}_crumb_{i}", disabled=last, icon=":material/chevron_right:" if i else None,
                          type="tertiary"):
            go_to(uid)


def _search(actor: Actor, *, key: str) -> widgets.Picked | None:
    """A diacritics-blind search that jumps to the unit found."""
    nonce = st.session_state.setdefault(f"{key}_nonce", 0)  # a new nonce empties the box after a jump
    query = st.text_input("Tìm địa bàn (gõ có dấu hoặc không dấu)", key=f"{key}_q_{nonce}", placeholder="vd. tam phuoc, nui thanh")
    if not query.strip():
        return None
    try:
        found = data.read_fresh(units.search_units, actor, query=query, tiers=("province", "district", "commune"), limit=50)
    except UserError as err:  # a paste too long to be a name: said here, the page below goes on
        st.error(widgets.md(err.message))
        return None
    if found.empty:
        st.info("Không tìm thấy địa bàn nào khớp trong phạm vi của bạn.")
        return None
    labels = dict(zip(found["id"], found["label"], strict=True))
    choice = st.selectbox(f"Kết quả tìm ({len(found)})", list(labels), format_func=labels.get, key=f"{key}_hit")
    if choice is not None and st.button("Xem địa bàn này", key=f"{key}_go"):
        st.session_state[f"{key}_nonce"] = nonce + 1
        go_to(int(choice))
    return None


def drillable_coverage_chart(frame, *, key: str) -> None:  # noqa: ANN001 - the coverage-by-child DataFrame
    """The coverage chart with its order switch; clicking a bar opens that unit's children."""
    order = widgets.bar_order(key=f"{key}_order")
    event = st.altair_chart(charts.build_coverage_chart(frame, selectable=True, order=order), width="stretch", key=key,
                            on_select="rerun", selection_mode=charts.PICK)
    picked = (event or {}).get("selection", {}).get(charts.PICK) or []
    if picked and "unit_id" in picked[0]:
        go_to(int(picked[0]["unit_id"]))
    st.caption("Bấm vào một cột để xem các địa bàn trực thuộc.")
