"""Conversions between form widgets and the write functions' input types."""

from datetime import date

import pandas as pd
import streamlit as st

from db import members, vocab

ROLE_LABELS = list(vocab.MEMBER_ROLES.values())
ORG_LABELS = list(vocab.ORGANISATIONS.values())
GENDER_LABELS = list(vocab.GENDERS.values())
CODE_BY_LABEL = {
    label: code
    for mapping in (vocab.MEMBER_ROLES, vocab.ORGANISATIONS, vocab.GENDERS)
    for code, label in mapping.items()
}
MEMBER_COLUMNS = ["Họ và tên", "Giới tính", "Năm sinh", "Điện thoại", "Vai trò", "Tổ chức", "Chức vụ"]

MEMBER_EDITOR_COLUMNS = {
    "Họ và tên": st.column_config.TextColumn("Họ và tên", max_chars=120),
    "Giới tính": st.column_config.SelectboxColumn("Giới tính", options=GENDER_LABELS),
    "Năm sinh": st.column_config.NumberColumn("Năm sinh", min_value=1900, max_value=date.today().year, step=1, format="%d"),
    "Điện thoại": st.column_config.TextColumn("Điện thoại", max_chars=20),
    "Vai trò": st.column_config.SelectboxColumn("Vai trò", options=ROLE_LABELS, default="Thành viên"),
    "Tổ chức": st.column_config.SelectboxColumn("Tổ chức", options=ORG_LABELS, default="Khác"),
    "Chức vụ": st.column_config.TextColumn("Chức vụ", max_chars=120),
}


def empty_members() -> pd.DataFrame:
    """An empty members sheet with typed columns for st.data_editor."""
    frame = pd.DataFrame({col: pd.Series(dtype="str") for col in MEMBER_COLUMNS})
    frame["Năm sinh"] = pd.Series(dtype="Int64")
    return frame


def _text(value: object) -> str | None:
    """A cell as text, None when empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
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
