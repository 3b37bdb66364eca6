"""Bounds of what a form may hold, read both by the pages' widgets and by the services' checks.

A page offers exactly what the service accepts: a widget's min_value/max_value/max_chars and the service's
refusal come from the same constant here.
"""

from datetime import date

# The earliest date a team's founding or closing, a membership or a target's deadline may carry. The Tổ CNSCĐ
# programme began in 2021–2022; 2018 leaves room for teams that local schemes set up a little earlier and that
# were later recognised, while a team established before 2018 is implausible (most often 2002 typed for 2022).
# The pages offered 2018, the services accepted 2000: 2018 is the rule for both.
EARLIEST_DATE = date(2018, 1, 1)
LATEST_DUE_YEAR = 2100  # a later deadline is a typo, and year 9999 would break the charts' date arithmetic

# Texts, in characters after trimming.
NAME_MAX = 120  # a person's name, a position, a village's name
TEAM_NAME_MAX = 200
DECISION_NO_MAX = 60
NOTE_MAX = 2000
USERNAME_MAX = 60
EMAIL_MAX = 200
RECOMMENDATION_MAX = 4000  # a recommendation and its answer
PHONE_CHARS = 20  # as typed, with spaces or +84 (the service then checks the ten digits)
SEARCH_MAX = 200  # a search box: longer than any name it could find (a pasted page made PostgreSQL fail)

# The figures of one activity report.
REPORT_MAXIMA: dict[str, int] = {"people_reached": 10_000, "households_reached": 5_000, "results": 10_000}

# What one report (one activity session in one village) plausibly holds. A village meeting hall or a commune
# cultural house seats 100–200; a day's campaign at the commune office (VNeID, online public services) serves a few
# hundred: 300 people. A thôn has some 150–500 households, and one session reaching 150 of them is already the
# whole-village campaign. Results count one thing per person at most (a dossier, an install, an account): 300.
# A broadcast on the village loudspeakers reaches the whole village: up to 2,000 people and 600 households.
# Above these (and within REPORT_MAXIMA) a report needs an officer: a volunteer is asked to have the commune
# officer enter it, an officer or admin ticks that they checked the figures, and the audit row records it.
PLAUSIBLE_REPORT: dict[str, int] = {"people_reached": 300, "households_reached": 150, "results": 300}
PLAUSIBLE_BY_TYPE: dict[str, dict[str, int]] = {
    "loudspeaker": {"people_reached": 2_000, "households_reached": 600, "results": 300},
}


def plausible_report(activity_type: str) -> dict[str, int]:
    """The per-figure bounds above which a report of this type needs an officer's confirmation."""
    return PLAUSIBLE_BY_TYPE.get(activity_type, PLAUSIBLE_REPORT)


# Reports one account may send, counted in the database (so every server process sees the same count), as
# (window in minutes, most reports in it). A volunteer logs a session in a minute or two: 30 in 10 minutes covers
# a backlog typed after a day offline, 300 a day covers any real day. Officers and admins type a commune's backlog
# from paper: 120 in 10 minutes (one every 5 seconds) and 2,000 a day. The command line (no account) is not counted.
REPORT_RATE: dict[str, tuple[tuple[int, int], ...]] = {
    "volunteer": ((10, 30), (24 * 60, 300)),
    "officer": ((10, 120), (24 * 60, 2_000)),
    "admin": ((10, 120), (24 * 60, 2_000)),
}
BULK_DELETE_MAX = 500  # reports an officer deletes in one go (a page of search results, one audit row each)
PEOPLE_TARGET_MAX = 100_000_000  # a quarter's people-reached target

# A member's age in years, from their birth year.
MEMBER_AGES = (14, 100)


def birth_years(today: date) -> tuple[int, int]:
    """The earliest and latest birth year a member may have on `today`."""
    return today.year - MEMBER_AGES[1], today.year - MEMBER_AGES[0]


# ---- Resources ------------------------------------------------------------------------------------
# What one upload may cost the shared server process: the import and the photos run in it, so a file that
# is small on the wire but huge once unpacked or decoded must be refused before it is, with a message.

# An Excel workbook to import.
WORKBOOK_BYTES = 10 * 1024 * 1024  # the upload itself (.streamlit/config.toml says the same)
WORKBOOK_UNPACKED_BYTES = 400 * 1024 * 1024  # all its parts unpacked, as the zip declares them (zipfile holds it to that)
WORKBOOK_SHEETS = 60  # a district's communes, one sheet each, and room to spare
WORKBOOK_ROWS = 50_000  # non-empty rows in the whole workbook
WORKBOOK_COLUMNS = 80  # columns read per row; the rest are ignored
# Rows × columns a sheet spans up to its last cell holding a value (50,000 rows × 80 columns). The declared
# <dimension> is not refused on by itself: Excel declares A1:H1048576 for a sheet formatted down to its last
# row, and those empty formatted rows are skipped, never read.
WORKBOOK_SHEET_CELLS = 4_000_000
# Every part read whole into memory (xl/sharedStrings.xml the biggest; styles, the workbook…): sheets are streamed.
WORKBOOK_SHARED_STRINGS_BYTES = 40 * 1024 * 1024
WORKBOOK_SHARED_STRINGS = 1_000_000  # its entries (<si>)
WORKBOOK_MERGES = 100_000  # merged ranges in a sheet (a team's village, name and decision merged over its members)
WORKBOOK_SECONDS = 60.0  # reading one workbook, checked while its parts stream; a real one takes a few seconds

# A report's photo.
PHOTO_BYTES = 5 * 1024 * 1024  # the upload itself
PHOTO_PIXELS = 40_000_000  # width × height, read from the header before anything is decoded (a phone's photo: 8–16 MP)
PHOTO_THUMB_SIDE = 320  # the stored thumbnail's longer side, in pixels; pages show it, never the photo itself
