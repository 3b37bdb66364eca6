"""Widgets shared by pages: the unit picker (cascade plus diacritics-blind search)."""

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from db import units, vocab
from db.access import Actor
from db.errors import UserError
from db.teams import fetch_teams
from db.units import NATIONAL_NAME
from report.charts import BarOrder
from ui import data


@dataclass(frozen=True)
class Picked:
    """The unit a picker returns; `id` None means the whole country."""

    id: int | None
    name: str
    tier: str | None


def scope_root(actor: Actor) -> Picked:
    """The unit an account is bound to (the whole country for a national administrator)."""
    if actor.unit_id is None:
        return Picked(None, NATIONAL_NAME, None)
    unit = data.read(units.fetch_unit, actor, unit_id=actor.unit_id)
    return Picked(unit.id, unit.name, unit.tier)


def unit_picker(
    actor: Actor,
    *,
    key: str,
    stop_tier: str = "village",
    search_tiers: tuple[str, ...] | None = None,
    search_label: str = "Tìm nhanh địa bàn (gõ có dấu hoặc không dấu)",
) -> Picked:
    """Pick a unit inside the actor's scope, level by level or by search; returns the deepest choice."""
    query = st.text_input(search_label, key=f"{key}_q", placeholder="vd. tam phuoc, nui thanh")
    found: pd.DataFrame | None = None
    if query.strip():
        try:
            found = data.read_fresh(units.search_units, actor, query=query, tiers=search_tiers, limit=50)
        except UserError as err:  # a paste too long to be a name: said here, the cascade below still works
            st.error(md(err.message))
    if found is not None:
        if found.empty:
            st.info("Không tìm thấy địa bàn nào khớp trong phạm vi của bạn.")
        else:
            labels = dict(zip(found["id"], found["label"], strict=True))
            choice = st.selectbox(f"Kết quả tìm ({len(found)})", list(labels), format_func=labels.get, key=f"{key}_hit")
            if choice is not None:
                row = found.loc[found["id"] == choice].iloc[0]
                return Picked(int(choice), str(row["name"]), str(row["tier"]))
    current = scope_root(actor)
    if current.tier == stop_tier:
        return current
    cols = st.columns(4)
    depth = 0
    while True:
        children: pd.DataFrame = data.read(units.fetch_children, actor, parent_id=current.id)
        if children.empty:
            return current
        tier = str(children["tier"].iloc[0])
        names = dict(zip(children["id"], children["name"], strict=True))
        with cols[depth % 4]:
            choice = st.selectbox(
                vocab.TIER_PICK_LABELS.get(tier, vocab.TIERS.get(tier, "Địa bàn")),
                [None, *names],
                format_func=lambda i, n=names: "— Tất cả —" if i is None else n[i],
                key=f"{key}_{depth}_{current.id}",  # a new parent gets a fresh widget
            )
        if choice is None:
            return current
        current = Picked(int(choice), names[choice], tier)
        if tier == stop_tier:
            return current
        depth += 1


def team_picker(actor: Actor, *, key: str, status: str = "all") -> int | None:
    """Pick a team in scope by typing part of its name or its village (diacritics optional)."""
    query = st.text_input("Tìm tổ theo tên tổ hoặc tên thôn, xã", key=f"{key}_q", placeholder="vd. phu my")
    try:
        teams: pd.DataFrame = data.read(fetch_teams, actor, unit_id=actor.unit_id, status=status, query=query, limit=300)
    except UserError as err:  # a paste too long to be a name
        st.error(md(err.message))
        return None
    if teams.empty:
        st.info("Không có tổ nào khớp trong phạm vi của bạn.")
        return None
    labels = {
        int(r.team_id): f"{r.name} — {r.unit}, {r.parent}" + ("" if r.active else " (ngừng hoạt động)")
        for r in teams.itertuples()
    }
    return st.selectbox(f"Chọn tổ ({len(labels)})", list(labels), format_func=labels.get, key=f"{key}_pick")


def bar_order(*, key: str, worst: str = vocab.BAR_ORDERS["worst"]) -> BarOrder:
    """The "Sắp xếp" switch of a bar chart of units: the worst first (the default) or by Vietnamese name."""
    labels = {"worst": worst, "name": vocab.BAR_ORDERS["name"]}
    choice = st.segmented_control("Sắp xếp", list(labels), format_func=labels.__getitem__, default="worst",
                                  required=True, key=key)
    return "name" if choice == "name" else "worst"


# Characters that make Markdown anywhere in a line: emphasis, code, links and images (a bracket escaped, `!` and
# `()` are plain), HTML and autolinks, strikethrough, tables, LaTeX, entities. Escaped with a backslash.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>~|$&])")
# Characters that make Markdown at the start of a line only: headings, lists, "1." and "1)", setext underlines.
# Ordinary punctuation elsewhere stays as it is, so a message reads (and compares) as written.
_MD_LINE_START = re.compile(r"^([ \t]*)([#+=-]|[0-9]+[.)])", re.MULTILINE)
# Streamlit also rewrites text after parsing, where a backslash escape is gone: `:material/x:`, `:rocket:`,
# `:streamlit:` and the `:red[…]` directives, bare `http://`, `www.` and e-mail autolinks, and `->`, `--`, `<=`
# typography. An invisible word joiner (U+2060) right after the `:`, the `@`, inside `www.` and between such a
# pair keeps the text as typed on screen while none of those patterns matches any more.
_JOINER = "\u2060"
_SHORTCODE_BREAKS = re.compile(r"(?<=:)(?=\S)|(?<=@)|(?<=www)(?=\.)|(?<=[<>~-])(?=[-=>])", re.IGNORECASE)


def md(text: object) -> str:
    """The one escape of user-typed text for anything Streamlit renders as Markdown: shown as typed, never as markup."""
    escaped = _MD_INLINE.sub(r"\\\1", _SHORTCODE_BREAKS.sub(_JOINER, str(text)))
    return _MD_LINE_START.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], escaped)


def flash(key: str) -> None:
    """Show, once, the success message a page stored before its rerun."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(md(message))


class FieldErrors:
    """An empty slot under each form field, so a UserError is shown next to the field it names."""

    def __init__(self) -> None:
        self._slots: dict[str, object] = {}

    def slot(self, field: str) -> None:
        """Reserve the place for `field`'s message right under its widget."""
        self._slots[field] = st.empty()

    def show(self, message: str, field: str | None) -> None:
        """Show the message under its field, or as a plain error when the field has no slot."""
        target = self._slots.get(field or "")
        (target if target is not None else st).error(md(message))  # type: ignore[attr-defined]
