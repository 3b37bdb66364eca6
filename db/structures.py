"""The two administrative structures: legacy (until 30/06/2025) and 2025 (from 01/07/2025), and which applies when."""

from datetime import date

from db.text import fold

LEGACY = "legacy"
NEW = "2025"
STRUCTURES = (LEGACY, NEW)
REFORM_DAY = date(2025, 7, 1)  # the first day of the 2025 structure (Nghị quyết 202/2025/QH15)
LAST_LEGACY_DAY = date(2025, 6, 30)
VALIDITY: dict[str, tuple[date | None, date | None]] = {LEGACY: (None, LAST_LEGACY_DAY), NEW: (REFORM_DAY, None)}

# How a structure is named in front of a code ("cũ:20422", "mới:20422"); typed forms are folded, so "cu", "moi",
# "legacy" and "2025" work too.
CODE_PREFIX = {LEGACY: "cũ", NEW: "mới"}
_TYPED_PREFIX = {"cu": LEGACY, "legacy": LEGACY, "moi": NEW, "2025": NEW}


def structure_on(day: date) -> str:
    """The structure in force on a day."""
    return NEW if day >= REFORM_DAY else LEGACY


def qualified_code(structure: str, code: str | None) -> str | None:
    """A code that names one unit even with both structures loaded: "mới:20422"."""
    return None if code is None else f"{CODE_PREFIX.get(structure, structure)}:{code}"


def split_qualified(ref: str) -> tuple[str | None, str]:
    """("2025", "20422") for "mới:20422" (or "moi:", "2025:", "cũ:", "legacy:"…); (None, ref) without a prefix."""
    head, sep, rest = ref.partition(":")
    structure = _TYPED_PREFIX.get(fold(head).strip()) if sep else None
    return (structure, rest.strip()) if structure else (None, ref)
