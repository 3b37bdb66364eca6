"""The slides' charts as a projector shows them: rendered with vl-convert at the slide's size, then read back.

Sizes are those the browser test measures for the chart's element: about 1856 × 820 px at 1920 × 1080 and
1300 × 580 px at 1366 × 768. Every label must be at least PROJECTOR_MIN_FONT px, no quantitative axis may
carry more than 11 ticks, and no label may be cut ("…").
"""

import html
import re
from datetime import date

import pandas as pd
import pytest
import vl_convert

from db import vocab
from db.targets import TargetProgress
from report import charts
from ui import slides

SIZES = {"1920x1080": (1856, 820), "1366x768": (1300, 580)}
MAX_TICKS = 11
TEXT_GROUP = re.compile(r'<g class="mark-text (role-[a-z-]+)[^"]*"[^>]*>(.*?)</g>', re.S)
TEXT = re.compile(r"<text[^>]*font-size=\"([\d.]+)px\"[^>]*>(.*?)</text>", re.S)


def _render(spec: dict, size: tuple[int, int]) -> dict[str, list[tuple[float, str]]]:
    """Render at a fixed size (the page gives "container"); the texts of each role with their font sizes."""
    spec = {**spec, "width": size[0], "height": size[1]}
    svg = vl_convert.vegalite_to_svg(spec)
    found: dict[str, list[tuple[float, str]]] = {}
    for role, body in TEXT_GROUP.findall(svg):
        for px, text in TEXT.findall(body):
            found.setdefault(role, []).append((float(px), html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()))
    return found


def _axes(spec_svg: str) -> list[list[str]]:
    return [re.findall(r">([^<>]+)</text>", body) for body in re.findall(r'role-axis-label"[^>]*>(.*?)</g>', spec_svg, re.S)]


def _assert_legible(texts: dict[str, list[tuple[float, str]]]) -> None:
    shown = [(role, px, text) for role, items in texts.items() for px, text in items if text]
    assert shown
    small = [(role, px, text) for role, px, text in shown if px < charts.PROJECTOR_MIN_FONT]
    assert not small, small
    cut = [(role, text) for role, _, text in shown if "…" in text]
    assert not cut, cut


def _coverage_children(n: int) -> pd.DataFrame:
    names = ["Thị trấn Phú Thịnh", "Xã Tam Thành", "Xã Tam An", "Xã Tam Dân", "Xã Tam Đàn", "Xã Tam Lộc",
             "Xã Tam Phước", "Xã Tam Vinh", "Xã Tam Thái", "Xã Tam Đại", "Xã Tam Lãnh", "Phường Hòa Khánh Bắc"]
    rows = [{"unit_id": i + 1, "name": names[i % len(names)] + ("" if i < len(names) else f" {i}"), "villages": 6 + i % 5,
             "covered": (i * 3) % (6 + i % 5)} for i in range(n)]
    df = pd.DataFrame(rows)
    df["coverage"] = df["covered"] / df["villages"]
    return df


def _months(first: date, count: int) -> pd.DataFrame:
    rows = []
    for k in range(count):
        month = date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1)
        for i, kind in enumerate(vocab.ACTIVITY_SHORT):
            rows.append({"month": month, "activity_type": kind, "reports": 3 + (i * 7 + k) % 20,
                         "people_reached": 100, "households_reached": 20, "results": 4})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_coverage_slide_is_legible_with_few_ticks(size):
    spec = slides.coverage_chart(_coverage_children(12))
    texts = _render(spec, size)
    _assert_legible(texts)
    assert {"role-axis-label", "role-legend-label", "role-mark"} <= set(texts)  # axes, legend, value labels
    svg = vl_convert.vegalite_to_svg({**spec, "width": size[0], "height": size[1]})
    percent_axis = [labels for labels in _axes(svg) if labels and labels[0].endswith("%")]
    assert percent_axis and all(len(labels) <= MAX_TICKS for labels in percent_axis), percent_axis
    names = [text for _, text in texts["role-axis-label"]]
    assert "Phường Hòa Khánh Bắc" in names  # the longest name in full


def test_coverage_slide_keeps_the_lowest_units_when_there_are_too_many():
    children = _coverage_children(30)
    shown = slides.coverage_shown(children)
    assert len(shown) == slides.MAX_BARS
    assert shown["coverage"].max() <= children.loc[~children.index.isin(shown.index), "coverage"].min()


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_monthly_slide_legend_shows_every_type_in_full(size):
    spec = slides.months_chart(_months(date(2026, 1, 1), 12), end=date(2026, 12, 15))
    texts = _render(spec, size)
    _assert_legible(texts)
    legend = [text for _, text in texts["role-legend-label"]]
    assert sorted(legend) == sorted(vocab.ACTIVITY_SHORT.values())
    longest = max(vocab.ACTIVITY_SHORT.values(), key=len)
    assert longest in legend
    assert spec["config"]["legend"]["labelLimit"] == 0  # Vega: no limit
    svg = vl_convert.vegalite_to_svg({**spec, "width": size[0], "height": size[1]})
    counts = [labels for labels in _axes(svg) if labels and labels[0].strip().isdigit()]
    assert counts and all(len(labels) <= MAX_TICKS for labels in counts), counts
    months = [text for _, text in texts["role-axis-label"] if "/" in text]
    assert len(months) == 12 and " ".join(months[-1].split()) == "12/2026 (đến 15/12)"  # every month named, the running one marked
    assert 'opacity="0"' not in svg  # no label hidden for overlapping


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_progress_slide_has_few_ticks_over_years(size):
    days = pd.date_range("2021-01-31", "2026-11-30", freq="ME").date
    timeline = pd.DataFrame({"day": days, "covered": range(len(days)), "villages": len(days)})
    timeline["coverage"] = timeline["covered"] / timeline["villages"]
    progress = TargetProgress(unit_id=1, as_of=date(2026, 11, 30), target=None, start=days[0], timeline=timeline,
                              covered=0, villages=1, coverage=0.9, projected=None, status="on_track")
    spec = slides.progress_chart(progress)
    texts = _render(spec, size)
    _assert_legible(texts)
    svg = vl_convert.vegalite_to_svg({**spec, "width": size[0], "height": size[1]})
    axes = _axes(svg)
    assert len(axes) == 2 and all(0 < len(labels) <= MAX_TICKS for labels in axes), axes


def test_monthly_chart_marks_the_month_the_period_ends_inside():
    months = _months(date(2026, 1, 1), 3)
    spec = charts.build_activity_by_month_chart(months, partial_until=date(2026, 3, 15)).to_dict()
    x = spec["encoding"]["x"]
    assert x["sort"] == ["01/2026", "02/2026", "03/2026 (đến 15/03)"]
    rows = next(iter(spec["datasets"].values()))
    assert {r["label"] for r in rows if r["partial"]} == {"03/2026 (đến 15/03)"}
    opacity = spec["encoding"]["opacity"]
    assert opacity["condition"]["test"] == "datum.partial"
    assert opacity["condition"]["value"] == charts.PARTIAL_OPACITY < opacity["value"]
    # The slide says it in words too.
    assert "(đến 15/03)" in str(slides.months_chart(months, end=date(2026, 3, 15)))


@pytest.mark.parametrize("end", [date(2026, 3, 31), date(2024, 2, 29), None])
def test_monthly_chart_has_no_marker_when_the_month_is_complete(end):
    spec = charts.build_activity_by_month_chart(_months(date(2026, 1, 1), 3), partial_until=end).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert not any(r["partial"] for r in rows)
    assert not any("đến" in label for label in spec["encoding"]["x"]["sort"])


def test_partial_month_and_labels():
    assert charts.partial_month(date(2026, 12, 1)) == date(2026, 12, 1)
    assert charts.partial_month(date(2026, 12, 31)) is None
    assert charts.month_label(date(2026, 12, 1), until=date(2026, 12, 1)) == "12/2026 (đến 01/12)"
    assert charts.month_label(date(2026, 11, 1), until=date(2026, 12, 1)) == "11/2026"


def test_slide_tables_escape_what_users_typed():
    table = slides.html_table({"Nội dung": ["<script>alert(1)</script> & <b>x</b>"], "Địa bàn": ["Xã <i>A</i>"]},
                              wrap=("Nội dung",))
    assert "<script>" not in table and "<b>" not in table and "<i>" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in table
    assert table.count("<tr>") == 2  # the header and the one row that exists


def test_partial_month_note():
    assert charts.partial_month_note(date(2026, 12, 1)) == "Tháng 12/2026 mới tính đến ngày 01/12/2026 (cột nhạt màu)."
    assert charts.partial_month_note(date(2026, 11, 30)) == ""


def test_a_period_starting_inside_a_month_marks_that_month_too():
    since, until = date(2026, 8, 13), date(2026, 11, 21)
    assert charts.month_label(date(2026, 8, 1), until=until, since=since) == "08/2026 (từ 13/08)"
    assert charts.month_label(date(2026, 9, 1), until=until, since=since) == "09/2026"
    assert charts.month_label(date(2026, 3, 1), until=date(2026, 3, 20), since=date(2026, 3, 5)) == "03/2026 (từ 05/03 đến 20/03)"
    note = charts.partial_month_note(until, since)
    assert "Tháng 08/2026 chỉ tính từ ngày 13/08/2026" in note and "Tháng 11/2026 mới tính đến ngày 21/11/2026" in note
    months = pd.DataFrame({"month": [date(2026, m, 1) for m in (8, 9, 10, 11)], "activity_type": "other",
                           "reports": [3, 9, 8, 4]})
    spec = charts.build_activity_by_month_chart(months, partial_until=until, partial_from=since).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["partial"] for r in rows] == [True, False, False, True]
