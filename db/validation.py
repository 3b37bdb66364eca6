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


def search_text(query: str | None) -> str:
    """A search box's text, trimmed; a UserError when it is longer than any name it could find."""
    text = clean(query)
    if len(text) > limits.SEARCH_MAX:
        raise UserError(f"Từ khóa tìm kiếm quá dài (tối đa {limits.SEARCH_MAX} ký tự); hãy gõ một phần của tên.",
                        field="query")
    return text


def require_period(start: date, end: date) -> None:
    """A report period: its start not after its end, nor before the earliest date the system holds."""
    if start > end:
        raise UserError("Ngày bắt đầu của kỳ phải trước ngày kết thúc.", field="start")
    if start < limits.EARLIEST_DATE:
        raise UserError(f"Kỳ báo cáo không được bắt đầu trước ngày {limits.EARLIEST_DATE:%d/%m/%Y}.", field="start")


def period_from_address(start: str | None, end: str | None, *, today: date | None = None) -> tuple[date | None, date | None]:
    """The ?tu=&den= dates of a report's address (yyyy-mm-dd), None where absent; a UserError for a date that is
    not one, lies before the earliest date the system holds, or (the end) after today."""
    today = today or date.today()
    days: list[date | None] = []
    for raw, field in ((start, "start"), (end, "end")):
        if not raw:
            days.append(None)
            continue
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        try:
            day = date.fromisoformat(raw) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw) else None
        except ValueError:
            day = None
        if day is None:
            raise UserError(f"Ngày “{shown}” trong địa chỉ không hợp lệ (cần dạng năm-tháng-ngày, vd. "
                            f"{today:%Y-%m-%d}); đang hiển thị kỳ mặc định.", field=field)
        if day < limits.EARLIEST_DATE:
            raise UserError(f"Ngày “{day.day:02d}/{day.month:02d}/{day.year:04d}” trong địa chỉ không hợp lệ: hệ thống chỉ có số liệu từ "
                            f"{limits.EARLIEST_DATE:%d/%m/%Y}; đang hiển thị kỳ mặc định.", field=field)
        if field == "end" and day > today:
            raise UserError(f"Ngày kết thúc không được sau hôm nay ({today:%d/%m/%Y}); đang hiển thị kỳ mặc định.",
                            field=field)
        days.append(day)
    first, last = days
    if first is not None and last is not None and first > last:
        raise UserError("Ngày bắt đầu của kỳ trong địa chỉ sau ngày kết thúc; đang hiển thị kỳ mặc định.", field="start")
    return first, last
