"""Excel import of villages, teams and members: read the workbook, plan and preview, then write in one transaction.

The spreadsheets officers keep are messy: a title above the header, headers typed any way, the village and
team cells merged down over a team's members, dates as text, phones with spaces or +84, signatures under the
table. `read_workbook` turns such a file into plain rows (pure, no database); `plan_import` matches the rows
against the database in the actor's scope and lists, per row, what would be created or updated and every
problem; `apply_import` plans again inside the write transaction and, only when there is no problem, writes
everything in bulk with the audit rows and one data-version bump. Importing the same file twice creates
nothing new: villages match by folded name under their commune, teams by their unit's open team, members by
folded full name within the team.

Where things are:
- workbook.py: the file checks and limits, the header aliases, finding the header, `read_workbook`, the templates.
- cells.py: pure cell parsers (dates, years of birth, phones, organisations, decision numbers, unit kinds).
- units.py: matching the communes a file names in the actor's scope; unit names and labels for the preview.
- plan.py: `Problem`, `PreviewRow`, `ImportPlan` and `plan_import`, which reads the database and never writes.
- write.py: `apply_import`, the bulk write, the audit rows, and the units it marks for the kept counts.

The names below are the package's API; callers write `from db import imports; imports.plan_import(...)`.
The limits are set in db/limits.py ("Resources") and read, under their short names (MAX_ROWS…), where they are
used: patch `db.imports.workbook.MAX_ROWS`, not this module.
"""

from db.imports.cells import organisation_code, parse_date
from db.imports.plan import (
    ImportPlan,
    PreviewRow,
    Problem,
    import_summary,
    plan_import,
)
from db.imports.workbook import (
    MEMBER_TEMPLATE,
    TEAM_TEMPLATE,
    VILLAGE_TEMPLATE,
    ParsedWorkbook,
    Progress,
    SheetTable,
    check_xlsx,
    header_key,
    read_workbook,
)
from db.imports.write import apply_import

__all__ = [
    "MEMBER_TEMPLATE",
    "TEAM_TEMPLATE",
    "VILLAGE_TEMPLATE",
    "ImportPlan",
    "ParsedWorkbook",
    "PreviewRow",
    "Problem",
    "Progress",
    "SheetTable",
    "apply_import",
    "check_xlsx",
    "header_key",
    "import_summary",
    "organisation_code",
    "parse_date",
    "plan_import",
    "read_workbook",
]
