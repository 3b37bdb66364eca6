"""The figures of a leaders' meeting for a unit and a period: the one read the page, the slides, the PDF,
the Excel download and `python -m report` all show.

Definitions, stated once:
- state figures (coverage, teams, members) are taken on the period's last day;
- flow figures (reports, people, households) are summed over the period's days, both ends included;
- a team "reported in the period" when it is active on the period's last day and has at least one
  report dated within the period; the others active that day are the silent teams;
- the previous period has the same number of days and ends the day before the period starts.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from db import activities, coverage, reporting, targets
from db.access import Actor, scope_unit
from db.models import Unit
from db.reporting import SILENT_LIMIT
from db.validation import require_period


@dataclass(frozen=True)
class Figure:
    """One headline figure in the period and in the previous one, with what it means."""

    key: str
    label: str
    kind: Literal["count", "ratio"]
    value: float
    previous: float
    note: str
    part: tuple[int, int] | None = None  # numerator and denominator of a ratio

    @property
    def change(self) -> float:
        """This period's value minus the previous period's (a ratio's change is in points of 1)."""
        return self.value - self.previous


@dataclass(frozen=True)
class Meeting:
    """Everything a meeting shows for one unit and period."""

    unit: str
    unit_id: int | None
    parent: str | None  # the unit's parent unit, named in the report's header
    start: date
    end: date
    previous_start: date
    previous_end: date
    indicators: coverage.Indicators  # on `end`
    figures: tuple[Figure, ...]
    progress: targets.TargetProgress  # coverage against the target in force, projected
    children: pd.DataFrame  # coverage of each child unit on `end` (fetch_coverage_by_child)
    child_progress: pd.DataFrame  # each child's target status on `end` (fetch_child_progress)
    months: pd.DataFrame  # reports per month and type within the period (fetch_unit_activity_by_month)
    silent: pd.DataFrame  # the silent teams, at most SILENT_LIMIT of them (fetch_silent_teams)

    def figure(self, key: str) -> Figure:
        """The figure named `key`."""
        return next(f for f in self.figures if f.key == key)

    @property
    def silent_count(self) -> int:
        """All the silent teams, also when the list stops at its limit."""
        return int(self.figure("silent").value)


SPAN = "từ ngày đầu đến ngày cuối của kỳ"


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length that ends the day before `start`."""
    previous_end = start - timedelta(days=1)
    return previous_end - (end - start), previous_end


def _flows(session: Session, actor: Actor, unit_id: int | None, start: date, end: date) -> tuple[pd.DataFrame, dict[str, int]]:
    """The period's reports per month and type, and their sums."""
    months = activities.fetch_unit_activity_by_month(session, actor=actor, unit_id=unit_id, start=start, end=end)
    return months, {m: int(months[m].sum()) for m in activities.MEASURES}


def fetch_meeting(session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date,
                  silent_limit: int = SILENT_LIMIT, structure: str | None = None) -> Meeting:
    """The meeting figures of a unit's subtree (the whole country for a national actor's None) for [start, end];
    the country's child units are the provinces of `structure` (by default of the structure in force on `end`)."""
    require_period(start, end)  # a start before 2018 would also push the previous period past year 1
    unit_id = scope_unit(session, actor, unit_id)
    previous_start, previous_end = previous_period(start, end)
    now = coverage.fetch_indicators(session, actor=actor, unit_id=unit_id, as_of=end)
    before = coverage.fetch_indicators(session, actor=actor, unit_id=unit_id, as_of=previous_end)
    months, flows = _flows(session, actor, unit_id, start, end)
    _, previous_flows = _flows(session, actor, unit_id, previous_start, previous_end)
    active, reporting_now = reporting.count_reporting_teams(session, unit_id=unit_id, as_of=end, since=start)
    active_before, reporting_before = reporting.count_reporting_teams(session, unit_id=unit_id, as_of=previous_end,
                                                                      since=previous_start)
    figures = (
        Figure("village_coverage", "Thôn, khối phố có tổ", "ratio", now.village_coverage, before.village_coverage,
               "Số thôn, khối phố có ít nhất một tổ đang hoạt động vào ngày cuối kỳ ÷ tổng số thôn, khối phố.",
               (now.villages_covered, now.villages)),
        Figure("commune_coverage", "Xã có tổ cấp xã", "ratio", now.commune_coverage, before.commune_coverage,
               "Số xã, phường, thị trấn có tổ cấp xã đang hoạt động vào ngày cuối kỳ ÷ tổng số xã.",
               (now.communes_with_team, now.communes)),
        Figure("teams", "Tổ đang hoạt động", "count", now.teams, before.teams,
               "Tổ đã thành lập và chưa ngừng hoạt động vào ngày cuối kỳ."),
        Figure("members", "Thành viên", "count", now.members, before.members,
               "Thành viên đang tham gia các tổ vào ngày cuối kỳ."),
        Figure("reports", "Báo cáo hoạt động trong kỳ", "count", flows["reports"], previous_flows["reports"],
               f"Số báo cáo hoạt động có ngày hoạt động {SPAN}."),
        Figure("people_reached", "Lượt người được hỗ trợ trong kỳ", "count", flows["people_reached"],
               previous_flows["people_reached"], f"Tổng số người được hỗ trợ ghi trong các báo cáo {SPAN}."),
        Figure("households_reached", "Lượt hộ được hỗ trợ trong kỳ", "count", flows["households_reached"],
               previous_flows["households_reached"], f"Tổng số hộ được hỗ trợ ghi trong các báo cáo {SPAN}."),
        Figure("reporting_rate", "Tổ có báo cáo trong kỳ", "ratio", reporting.reporting_rate(reporting_now, active),
               reporting.reporting_rate(reporting_before, active_before),
               "Tổ đang hoạt động vào ngày cuối kỳ có ít nhất một báo cáo trong kỳ ÷ số tổ đang hoạt động.",
               (reporting_now, active)),
        Figure("silent", "Tổ chưa báo cáo trong kỳ", "count", active - reporting_now, active_before - reporting_before,
               "Tổ đang hoạt động vào ngày cuối kỳ mà không có báo cáo nào trong kỳ."),
    )
    child = aliased(Unit)
    parent = None if unit_id is None else session.scalar(
        select(Unit.name).join(child, child.parent_id == Unit.id).where(child.id == unit_id))
    return Meeting(
        unit=now.unit, unit_id=unit_id, parent=parent, start=start, end=end,
        previous_start=previous_start, previous_end=previous_end,
        indicators=now, figures=figures,
        progress=targets.fetch_target_progress(session, actor=actor, unit_id=unit_id, as_of=end, since=start),
        children=coverage.fetch_coverage_by_child(session, actor=actor, unit_id=unit_id, as_of=end, structure=structure),
        child_progress=targets.fetch_child_progress(session, actor=actor, unit_id=unit_id, today=end, structure=structure),
        months=months,
        silent=reporting.fetch_silent_teams(session, actor=actor, unit_id=unit_id, start=start, end=end, limit=silent_limit),
    )
