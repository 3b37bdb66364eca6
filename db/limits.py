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
PEOPLE_TARGET_MAX = 100_000_000  # a quarter's people-reached target

# A member's age in years, from their birth year.
MEMBER_AGES = (14, 100)


def birth_years(today: date) -> tuple[int, int]:
    """The earliest and latest birth year a member may have on `today`."""
    return today.year - MEMBER_AGES[1], today.year - MEMBER_AGES[0]
