"""Form helpers: sending one write from a form, and conversions between widgets and the write functions' input types."""

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from db import limits, members, vocab
from db.errors import UserError
from ui.session import run_action
from ui.widgets import FieldErrors, md

T = TypeVar("T")

ROLE_LABELS = list(vocab.MEMBER_ROLES.values())
ORG_LABELS = list(vocab.ORGANISATIONS.values())
GENDER_LABELS = list(vocab.GENDERS.values())
CODE_BY_LABEL = {
    label: code
    for mapping in (vocab.MEMBER_ROLES, vocab.ORGANISATIONS, vocab.GENDERS)
    for code, label in mapping.items()
}
BIRTH_YEARS = limits.birth_years(date.today())
MEMBER_COLUMNS = ["Họ và tên", "Giới tính", "Năm sinh", "Điện thoại", "Vai trò", "Tổ chức", "Chức vụ"]

MEMBER_EDITOR_COLUMNS = {
    "Họ và tên": st.column_config.TextColumn("Họ và tên", max_chars=limits.NAME_MAX),
    "Giới tính": st.column_config.SelectboxColumn("Giới tính", options=GENDER_LABELS),
    "Năm sinh": st.column_config.NumberColumn("Năm sinh", min_value=BIRTH_YEARS[0], max_value=BIRTH_YEARS[1], step=1, format="%d"),
    "Điện thoại": st.column_config.TextColumn("Điện thoại", max_chars=limits.PHONE_CHARS),
    "Vai trò": st.column_config.SelectboxColumn("Vai trò", options=ROLE_LABELS, default="Thành viên"),
    "Tổ chức": st.column_config.SelectboxColumn("Tổ chức", options=ORG_LABELS, default="Khác"),
    "Chức vụ": st.column_config.TextColumn("Chức vụ", max_chars=limits.NAME_MAX),
}


def submit(
    action: Callable[..., T],
    /,
    *,
    success: str | Callable[[T], str],
    flash: str,
    errors: FieldErrors | None = None,
    field: str | None = None,
    then: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Run one write (`action(session, **kwargs)`, one transaction) for a submitted form.

    A UserError shows its Vietnamese message under the field it names (or under `field`; a plain st.error
    without `errors`) and returns None, so the form keeps what was typed. On success the `success` message
    (or `success(result)`) is stored under the page's `flash` key, `then` is applied to the session state
    (a new nonce or token empties the form) and the page reruns; keyed tabs stay open.
    """
    try:
        result = run_action(action, **kwargs)
    except UserError as err:
        if errors is None:
            st.error(md(err.message))
        else:
            errors.show(err.message, field or err.field or "other")
        return
    st.session_state[flash] = success(result) if callable(success) else success
    st.session_state.update(then or {})
    st.rerun()


def empty_members() -> pd.DataFrame:
    """An empty members sheet with typed columns for st.data_editor."""
    frame = pd.DataFrame({col: pd.Series(dtype="str") for col in MEMBER_COLUMNS})
    frame["Năm sinh"] = pd.Series(dtype="Int64")
    return frame


def _text(value: object) -> str | None:
    """A cell as text, None when empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return
    return str(value)


def members_from_editor(frame: pd.DataFrame) -> list[members.MemberInput]:
    """Member rows typed in the editor; rows left entirely empty are ignored, others validated later."""
    rows = []
    for rec in frame.to_dict("records"):
        if all((_text(v) or "").strip() == "" for v in rec.values()):
            continue
        year = rec.get("Năm sinh")
        rows.append(
            members.MemberInput(
                full_name=_text(rec.get("Họ và tên")),
                gender=CODE_BY_LABEL.get(_text(rec.get("Giới tính")) or ""),
                birth_year=None if year is None or pd.isna(year) else int(year),
                phone=_text(rec.get("Điện thoại")),
                role=CODE_BY_LABEL.get(_text(rec.get("Vai trò")) or "", "member"),
                organisation=CODE_BY_LABEL.get(_text(rec.get("Tổ chức")) or "", "other"),
                position=_text(rec.get("Chức vụ")),
            )
        )
    return rows
