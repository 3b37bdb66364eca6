"""Charts over time mark the day the 2025 structure took effect, and only when they span it."""

from datetime import date

import pandas as pd
import pytest
import vl_convert

from db import vocab
from report import charts


def timeline(first: str, last: str) -> pd.DataFrame:
    """Month-end coverage points from `first` to `last` (ISO days)."""
    days = pd.date_range(first, last, freq="ME").date
    frame = pd.DataFrame({"day": days, "covered": range(len(days)), "villages": max(len(days), 1)})
    return frame.assign(coverage=frame["covered"] / frame["villages"])


def months(*firsts: date) -> pd.DataFrame:
    """Monthly sums of one activity type for the months starting on `firsts`."""
    return pd.DataFrame({"month": list(firsts), "activity_type": "other", "reports": [3] * len(firsts)})


def reform_rules(spec: dict) -> list[dict]:
    """The layers of a spec that draw a rule with the reform marker's data."""
    datasets = spec.get("datasets", {})
    found = []
    for layer in spec.get("layer", []):
        mark = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        rows = datasets.get(layer.get("data", {}).get("name"), [])
        if mark == "rule" and any(row.get("text") == vocab.REFORM_MARKER for row in rows):
            found.append(layer | {"rows": rows})
    return found


@pytest.mark.parametrize(("first", "last", "marked"), [
    ("2024-01-01", "2026-11-30", True),   # across the reform
    ("2025-06-01", "2025-07-31", True),   # 30/06/2025 then 31/07/2025
    ("2022-01-01", "2025-06-30", False),  # ends on the last legacy day
    ("2025-07-01", "2026-11-30", False),  # wholly in the 2025 structure
])
def test_the_coverage_timeline_has_the_rule_only_when_it_spans_the_reform_day(first, last, marked):
    spec = charts.build_timeline_chart(timeline(first, last), goal=None, deadline=None, projected=None).to_dict()
    rules = reform_rules(spec)
    assert len(rules) == (1 if marked else 0)
    assert (vocab.REFORM_MARKER in str(spec)) is marked  # no stray label either
    if marked:
        assert rules[0]["encoding"]["x"]["field"] == "day" and rules[0]["encoding"]["x"]["type"] == "temporal"
        assert pd.Timestamp(rules[0]["rows"][0]["day"]).date() == date(2025, 7, 1)


def test_the_timeline_marker_can_be_left_out_and_is_drawn_with_its_label():
    frame = timeline("2024-01-01", "2026-11-30")
    assert not reform_rules(charts.build_timeline_chart(frame, goal=None, deadline=None, projected=None,
                                                        mark_reform=False).to_dict())
    svg = vl_convert.vegalite_to_svg(charts.build_timeline_chart(frame, goal=0.9, deadline=date(2026, 12, 31),
                                                                 projected=None).to_dict())
    assert vocab.REFORM_MARKER in svg


def test_the_monthly_chart_rules_off_the_first_month_of_the_new_structure():
    # No report in July 2025: the rule stands at the left edge of August, the first month after the change.
    spec = charts.build_activity_by_month_chart(months(date(2025, 5, 1), date(2025, 6, 1), date(2025, 8, 1)),
                                                partial_until=date(2025, 8, 20)).to_dict()
    (rule,) = reform_rules(spec)
    assert rule["rows"][0]["label"] == "08/2025 (đến 20/08)"
    assert rule["encoding"]["x"]["bandPosition"] == 0
    assert rule["encoding"]["x"]["sort"] == ["05/2025", "06/2025", "08/2025 (đến 20/08)"]


@pytest.mark.parametrize("firsts", [
    (date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)),
    (date(2025, 7, 1), date(2025, 8, 1)),
    (date(2025, 7, 1),),
])
def test_the_monthly_chart_stays_one_view_without_the_reform_in_range(firsts):
    spec = charts.build_activity_by_month_chart(months(*firsts)).to_dict()
    assert "layer" not in spec and spec["mark"]["type"] == "bar"
    assert vocab.REFORM_MARKER not in str(spec)
