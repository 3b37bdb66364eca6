"""Input rules shared by every write: trimmed bounded texts, whole numbers, past dates."""

import math
import re
import unicodedata
from datetime import date
from decimal import Decimal

from db import limits
from db.errors import UserError
from db.text import clean


def require_text(value: str | None, *, field: str, label: str, max_len: int = limits.NAME_MAX) -> str:
    """A trimmed, non-empty text of bounded length, or a UserError naming the field."""
    text = clean(value)
    if not text:
        raise UserError(f"{label} không được để trống.", field=field)
    if len(text) > max_len:
        raise UserError(f"{label} dài quá {max_len} ký tự.", field=field)
    if has_control_characters(text):
        raise UserError(f"{label} chứa ký tự không hợp lệ (ký tự điều khiển).", field=field)
    return text


def has_control_characters(text: str) -> bool:
    """NUL and other control characters, or lone surrogates: PostgreSQL refuses NUL, no encoder takes a surrogate."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def whole_number(value: object, *, field: str, label: str) -> int:
    """An int, an integral finite float or decimal, or a plain digit string, as an int; else a UserError.

    Booleans, NaN, infinities, fractions and other text are refused rather than rounded or crashed on.
    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, Decimal):
        number = int(value) if value.is_finite() and value == value.to_integral_value() else None
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        number = int(value)
    if number is None:
        raise UserError(f"{label} phải là số nguyên.", field=field)
    return number


def optional_text(value: str | None, *, field: str, label: str, max_len: int = limits.NAME_MAX) -> str | None:
    """A trimmed text or None when empty."""
    return require_text(value, field=field, label=label, max_len=max_len) if clean(value) else None


def require_past_date(value: date | None, *, field: str, label: str, today: date | None = None) -> date:
    """A date that is given and not in the future."""
    if value is None:
        raise UserError(f"Hãy chọn {label.lower()}.", field=field)
    if value > (today or date.today()):
        raise UserError(f"{label} không được ở tương lai.", field=field)
    if value < limits.EARLIEST_DATE:
        raise UserError(f"{label} không được trước ngày {limits.EARLIEST_DATE:%d/%m/%Y}.", field=field)
    return value
