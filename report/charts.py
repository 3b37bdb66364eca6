"""Altair chart builders: pure functions of pre-aggregated DataFrames."""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import altair as alt
import pandas as pd

from db import vocab
from db.structures import REFORM_DAY
from db.text import collation_key
from report import fmt

# Vega's number locale for Vietnamese: "1.234", "56,7%".
VI_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]},
    "time": {
        "dateTime": "%A, %e %B %Y, %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["SA", "CH"],
        "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
        "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
        "months": [f"Tháng {i}" for i in range(1, 13)],
        "shortMonths": [f"Th{i}" for i in range(1, 13)],
    },
}
NO_VILLAGES = "Chưa có thôn trong hệ thống"
COVERAGE_COLORS = alt.Scale(domain=["Dưới 50%", "50% – dưới 80%", "80% – dưới 100%", "100%", NO_VILLAGES],
                            range=["#d73027", "#fc8d59", "#91bfdb", "#1a9850", "#bdbdbd"])


def coverage_band(ratio: float | None) -> str:
    """The colour band a coverage ratio falls in."""
    if ratio is None or pd.isna(ratio):
        return NO_VILLAGES
    if ratio < 0.5:
        return "Dưới 50%"
    if ratio < 0.8:
        return "50% – dưới 80%"
    if ratio < 1:
        return "80% – dưới 100%"
    return "100%"


PICK = "pick"

# How a chart of units orders its bars: the worst first (what a meeting follows up), or by name
# (the words on the switch: vocab.BAR_ORDERS).
BarOrder = Literal["worst", "name"]
# SVG keeps the labels as text (crisp on a projector, readable by a browser test); Streamlit passes
# usermeta.embedOptions.renderer to vega-embed.
SVG = {"embedOptions": {"renderer": "svg"}}


def unique_labels(names: Sequence[str], parents: Sequence[str | None] | None = None) -> list[str]:
    """The names as bar labels, made unique: a repeated name gets its parent, then a number if still repeated."""
    names = [str(n) for n in names]
    seen = {n for n, times in Counter(names).items() if times > 1}
    labels = [f"{n} – {p}" if n in seen and parents is not None and isinstance(p, str) and p else n
              for n, p in zip(names, parents if parents is not None else [None] * len(names), strict=True)]
    # An explicit sort needs one label per bar: number whatever still repeats, in the rows' order.
    counts: dict[str, int] = {}
    out = []
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
        out.append(label if counts[label] == 1 else f"{label} ({counts[label]})")
    return out


def bar_order(labels: Sequence[str], values: Sequence[float], *, order: BarOrder, worst: Literal["low", "high"]) -> list[str]:
    """The labels in the order the bars are drawn: worst value first (ties by name), or by name.

    Computed here and given to Vega-Lite as an explicit array: it drops a sort by field in a layered chart
    and would order the bars by character code, which puts "Đà Nẵng" after "Hồ Chí Minh".
    """
    if order == "name":
        return sorted(labels, key=collation_key)
    sign = 1 if worst == "low" else -1
    return [label for _, label in sorted(zip(values, labels, strict=True),
                                         key=lambda pair: (sign * float(pair[0]), collation_key(pair[1])))]


def build_coverage_chart(df: pd.DataFrame, *, title: str = "Tỷ lệ thôn có Tổ CNSCĐ", selectable: bool = False,
                         order: BarOrder = "worst") -> alt.LayerChart:
    """Horizontal bars of village coverage per unit, lowest first or by name, coloured by band, labelled in Vietnamese."""
    data = df.loc[df["villages"] > 0, ["unit_id", "name", "villages", "covered", "coverage"]].copy()
    data["band"] = data["coverage"].map(coverage_band)
    data["label"] = data["coverage"].map(fmt.percent)
    data["detail"] = [f"{fmt.number(c)}/{fmt.number(v)} thôn" for c, v in zip(data["covered"], data["villages"], strict=True)]
    data["bar"] = unique_labels(list(data["name"]), list(df.loc[data.index, "parent"]) if "parent" in df else None)
    # Lowest coverage first: the units to follow up are the ones a meeting talks about.
    y = alt.Y("bar:N", sort=bar_order(list(data["bar"]), list(data["coverage"]), order=order, worst="low"), title=None,
              axis=alt.Axis(labelLimit=220))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("coverage:Q", title="Tỷ lệ thôn có tổ", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=y,
            color=alt.Color("band:N", scale=COVERAGE_COLORS, title="Mức độ phủ", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("name:N", title="Địa bàn"),
                alt.Tooltip("label:N", title="Độ phủ"),
                alt.Tooltip("detail:N", title="Thôn có tổ"),
            ],
        )
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="label:N", color=alt.value("#333"))
    if selectable:
        # Clicking a bar selects its unit: pages drill down with st.altair_chart(on_select=...).
        bars = bars.add_params(alt.selection_point(name=PICK, fields=["unit_id"], on="click"))
    return (
        alt.layer(bars, text, data=data)
        .properties(title=title, height=alt.Step(26), usermeta=SVG)
        .configure(locale=VI_LOCALE)
    )


# Streamlit fits a fixed-height chart into its container, legend and labels included: give the
# monthly charts room for a 2-column legend of eight types under a ~240 px plot.
MONTHLY_HEIGHT = 460
PARTIAL_OPACITY = 0.45
# Vega expression: "03/2026 (đến 15/03)" on two lines, the month on top; other labels as they are.
_TWO_LINE_LABEL = ("indexof(datum.label, ' (') > 0 ? [substring(datum.label, 0, indexof(datum.label, ' (')), "
                   "substring(datum.label, indexof(datum.label, ' (') + 1)] : datum.label")


def partial_month(until: date | None) -> date | None:
    """The first day of the month `until` falls inside, or None when `until` is its month's last day (or None)."""
    if until is None or (until + timedelta(days=1)).month != until.month:
        return None
    return until.replace(day=1)


def _same_month(a: date, b: date | None) -> bool:
    return b is not None and (a.year, a.month) == (b.year, b.month)


def month_label(month: date, *, until: date | None = None, since: date | None = None) -> str:
    """ "03/2026", "03/2026 (đến 15/03)" for the month a period ends inside, "03/2026 (từ 10/03)" for the one it starts in."""
    label = month.strftime("%m/%Y")
    if since is not None and since.day > 1 and _same_month(month, since):
        label += f" (từ {since:%d/%m}" + (f" đến {until:%d/%m})" if _same_month(month, partial_month(until)) else ")")
    elif until is not None and _same_month(month, partial_month(until)):
        label += f" (đến {until:%d/%m})"
    return label


def partial_month_note(until: date | None, since: date | None = None) -> str:
    """The sentences under a monthly chart whose first or last month the period covers only in part ("" for none)."""
    notes = []
    if since is not None and since.day > 1:
        notes.append(f"Tháng {since:%m/%Y} chỉ tính từ ngày {fmt.day(since)}.")
    if until is not None and partial_month(until) is not None:
        notes.append(f"Tháng {until:%m/%Y} mới tính đến ngày {fmt.day(until)}.")
    return " ".join(notes)[:-1] + " (cột nhạt màu)." if notes else ""


REFORM_COLOR = "#6a3d9a"


def spans_reform(days: Iterable[date | datetime | pd.Timestamp | None]) -> bool:
    """True when the days run from before 01/07/2025 to that day or later: a chart over them crosses the reform."""
    known = [pd.Timestamp(d).date() for d in days if d is not None and not pd.isna(d)]
    return bool(known) and min(known) < REFORM_DAY <= max(known)


def _reform_layers(field: str, value: object, x: alt.X) -> list[alt.Chart]:
    """A dashed vertical rule at the reform day (`value` of `field` on the chart's x scale `x`) and its label at the top."""
    marker = pd.DataFrame({field: [value], "text": [vocab.REFORM_MARKER]})
    rule = alt.Chart(marker).mark_rule(color=REFORM_COLOR, strokeDash=[6, 3], strokeWidth=2).encode(
        x=x, tooltip=[alt.Tooltip("text:N", title=vocab.REFORM_MARKER_TITLE)])
    label = alt.Chart(marker).mark_text(align="left", baseline="top", dx=4, dy=2, color=REFORM_COLOR).encode(
        x=x, y=alt.value(0), text="text:N")
    return [rule, label]


def build_activity_by_month_chart(
    df: pd.DataFrame, *, measure: str = "reports", title: str = "", partial_until: date | None = None,
    partial_from: date | None = None, legend_orient: Literal["bottom", "right"] = "bottom", label_angle: int = -45,
    mark_reform: bool = True,
) -> alt.Chart | alt.LayerChart:
    """Stacked monthly bars of one measure, coloured by activity type (rows are already monthly sums).

    With `partial_until` (the period's last day), the month it falls inside, if not over, is drawn lighter
    and labelled "(đến dd/mm)": a short bar that is only partly counted must not read as a slump; likewise
    the month `partial_from` (the period's first day) starts inside, labelled "(từ dd/mm)". A slide
    puts the legend on the right (eight types in one column, nothing cut) and the month labels flat.
    Months from before 01/07/2025 and from that day on are split by a rule at the first month of the 2025
    structure (at the left edge of its bar), unless `mark_reform` is False.
    """
    data = df[["month", "activity_type", measure]].copy()
    data["type"] = data["activity_type"].map(vocab.ACTIVITY_SHORT)
    # Months as "mm/yyyy" labels in calendar order: no date parsing or time zone in the browser.
    data["label"] = [month_label(m, until=partial_until, since=partial_from) for m in data["month"]]
    order = [month_label(m, until=partial_until, since=partial_from) for m in sorted(set(data["month"]))]
    first = partial_from.replace(day=1) if partial_from is not None and partial_from.day > 1 else None
    data["partial"] = [_same_month(m, partial_month(partial_until)) or _same_month(m, first) for m in data["month"]]
    data["value_text"] = data[measure].map(fmt.number)
    months = sorted(set(data["month"]))
    data = data.drop(columns=["month"])  # only the labels travel to the browser
    legend = alt.Legend(orient="bottom", columns=2) if legend_orient == "bottom" else alt.Legend(orient=legend_orient, columns=1)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("label:O", sort=order, title=None, axis=alt.Axis(labelAngle=label_angle, labelExpr=_TWO_LINE_LABEL)),
            y=alt.Y(f"sum({measure}):Q", title=vocab.MEASURES[measure], axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color("type:N", title="Loại hoạt động", scale=alt.Scale(domain=list(vocab.ACTIVITY_SHORT.values())),
                            legend=legend),
            opacity=alt.condition("datum.partial", alt.value(PARTIAL_OPACITY), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("label:O", title="Tháng"),
                alt.Tooltip("type:N", title="Loại"),
                alt.Tooltip("value_text:N", title=vocab.MEASURES[measure]),
            ],
        )
    )
    if not (mark_reform and spans_reform(months)):
        return bars.properties(title=title).configure(locale=VI_LOCALE)
    first_new = next(label for month, label in zip(months, order, strict=True) if month >= REFORM_DAY)
    x = alt.X("label:O", sort=order, title=None, bandPosition=0)  # the rule at the left edge of the month's bar
    return alt.layer(bars, *_reform_layers("label", first_new, x)).properties(title=title).configure(locale=VI_LOCALE)


def build_reporting_chart(df: pd.DataFrame, *, title: str = "Tỷ lệ tổ có báo cáo trong kỳ",
                          order: BarOrder = "worst") -> alt.LayerChart:
    """Bars of the share of active teams that reported in the period, per unit, lowest first or by name."""
    data = df.loc[df["teams"] > 0, ["name", "teams", "reporting", "silent", "rate"]].copy()
    data["label"] = data["rate"].map(fmt.percent)
    data["detail"] = [f"{fmt.number(r)}/{fmt.number(t)} tổ" for r, t in zip(data["reporting"], data["teams"], strict=True)]
    data["bar"] = unique_labels(list(data["name"]))
    y = alt.Y("bar:N", sort=bar_order(list(data["bar"]), list(data["rate"]), order=order, worst="low"), title=None,
              axis=alt.Axis(labelLimit=220))
    bars = alt.Chart(data).mark_bar(color="#4575b4").encode(
        x=alt.X("rate:Q", title="Tỷ lệ tổ có báo cáo", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=y,
        tooltip=[alt.Tooltip("name:N", title="Địa bàn"), alt.Tooltip("label:N", title="Tỷ lệ"),
                 alt.Tooltip("detail:N", title="Tổ có báo cáo")],
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="label:N")
    return (alt.layer(bars, text, data=data).properties(title=title, height=alt.Step(24), usermeta=SVG)
            .configure(locale=VI_LOCALE))


def build_organisation_chart(df: pd.DataFrame, *, title: str = "Thành viên theo tổ chức") -> alt.LayerChart:
    """Horizontal bars of active members per organisation, the largest first."""
    data = df[["label", "members"]].copy()
    data["text"] = data["members"].map(fmt.number)
    bars = alt.Chart(data).mark_bar(color="#1a9850").encode(
        x=alt.X("members:Q", title="Số thành viên"),
        y=alt.Y("label:N", sort=bar_order(list(data["label"]), list(data["members"]), order="worst", worst="high"),
                title=None, axis=alt.Axis(labelLimit=240)),
        tooltip=[alt.Tooltip("label:N", title="Tổ chức"), alt.Tooltip("text:N", title="Thành viên")],
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="text:N")
    return (alt.layer(bars, text, data=data).properties(title=title, height=alt.Step(24), usermeta=SVG)
            .configure(locale=VI_LOCALE))


def build_timeline_chart(
    timeline: pd.DataFrame, *, goal: float | None, deadline: date | None, projected: date | None,
    title: str = "Độ phủ theo thời gian", mark_reform: bool = True,
) -> alt.LayerChart:
    """Coverage at each month's end, the target line up to its deadline, the projected path to it; the reform day marked.

    A timeline from before 01/07/2025 to that day or later gets a rule on that day (unless `mark_reform` is False):
    coverage before it is counted in the legacy structure, after it in the 2025 one.
    """
    data = timeline[["day", "coverage", "covered", "villages"]].copy()
    data["when"] = [d.strftime("%d/%m/%Y") for d in data["day"]]
    data["label"] = data["coverage"].map(fmt.percent)
    data["day"] = pd.to_datetime(data["day"])
    x = alt.X("day:T", title=None, axis=alt.Axis(format="%m/%Y", labelAngle=-45))
    y = alt.Y("coverage:Q", title="Tỷ lệ thôn có tổ", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    layers = [
        alt.Chart(data).mark_line(point=True, color="#1a9850").encode(
            x=x, y=y,
            tooltip=[alt.Tooltip("when:N", title="Ngày"), alt.Tooltip("label:N", title="Độ phủ"),
                     alt.Tooltip("covered:Q", title="Thôn có tổ", format=",d")],
        )
    ]
    if goal is not None and deadline is not None:
        target = pd.DataFrame({"day": [pd.Timestamp(deadline)], "coverage": [goal],
                               "text": [f"Chỉ tiêu {fmt.percent(goal)} trước {fmt.day(deadline)}"]})
        layers.append(alt.Chart(pd.DataFrame({"coverage": [goal]})).mark_rule(color="#d73027", strokeDash=[6, 4]).encode(y="coverage:Q"))
        layers.append(alt.Chart(target).mark_point(shape="diamond", size=160, color="#d73027", filled=True).encode(
            x="day:T", y="coverage:Q", tooltip=[alt.Tooltip("text:N", title="Chỉ tiêu")]))
    if projected is not None and not data.empty:
        last = data.iloc[-1]
        path = pd.DataFrame({"day": [last["day"], pd.Timestamp(projected)], "coverage": [last["coverage"], goal or 1.0],
                             "text": ["", f"Dự kiến đạt {fmt.percent(goal or 1.0)} ngày {fmt.day(projected)}"]})
        layers.append(alt.Chart(path).mark_line(strokeDash=[3, 3], color="#4575b4", point=True).encode(
            x="day:T", y="coverage:Q", tooltip=[alt.Tooltip("text:N", title="Dự kiến")]))
    if mark_reform and spans_reform(timeline["day"]):
        layers += _reform_layers("day", pd.Timestamp(REFORM_DAY), alt.X("day:T", title=None))
    return alt.layer(*layers).properties(title=title, height=280).configure(locale=VI_LOCALE)


# Above this many points a name on each would cover the map: the points' parents are named instead.
MAP_LABEL_ALL = 40
MAP_NOTE = "Vẽ theo tọa độ trung tâm của từng đơn vị, chưa có ranh giới hành chính."
ARCHIPELAGO_COLOR = "#08519c"


def _map_labels(data: pd.DataFrame) -> pd.DataFrame:
    """Where the names go: every point's when few, else one per parent at the mean of its points; the focus always."""
    if len(data) <= MAP_LABEL_ALL:
        labels = data[["lon", "lat", "name"]].assign(weight="normal")
    else:
        labels = (data.groupby("parent", as_index=False, sort=True)[["lon", "lat"]].mean()
                  .rename(columns={"parent": "name"}).assign(weight="bold"))
    focus = data.loc[data["focus"], ["lon", "lat", "name"]].assign(weight="bold") if "focus" in data else data.iloc[:0]
    labels = pd.concat([labels[~labels["name"].isin(focus["name"])], focus], ignore_index=True).round({"lon": 4, "lat": 4})
    # Units the official list puts at one spot (Xã Tam Dân and Xã Tam Đàn) share one label instead of overprinting.
    return labels.groupby(["lon", "lat", "weight"], as_index=False, sort=False)["name"].agg(", ".join)


def build_map_chart(
    points: pd.DataFrame, *, archipelagos: pd.DataFrame | None = None, title: str = "Bản đồ độ phủ theo xã",
    place: str = "Xã",
) -> alt.LayerChart:
    """Communes (or districts) at their coordinates, coloured by coverage band, sized by villages, named; the archipelagos marked.

    There is no boundary data to draw (MAP_NOTE says so on the chart); names next to the points make it readable.
    A `focus` column, when present, outlines and names the unit being looked at.
    """
    data = points.dropna(subset=["lat", "lon"]).copy()
    if "focus" not in data:
        data["focus"] = False
    data["band"] = data["coverage"].map(coverage_band)
    data["label"] = data["coverage"].map(fmt.percent)
    data["detail"] = [f"{fmt.number(c)}/{fmt.number(v)} thôn" for c, v in zip(data["covered"], data["villages"], strict=True)]
    data["parent"] = data["parent"].fillna("")
    labels = _map_labels(data)
    # Every column travels to the browser: only those the marks and tooltips use, coordinates to about 10 m.
    data = data[["lon", "lat", "band", "villages", "name", "parent", "label", "detail", "focus"]].round({"lon": 4, "lat": 4})
    points_layer = alt.Chart(data).mark_circle(opacity=0.85).encode(
        longitude="lon:Q",
        latitude="lat:Q",
        color=alt.Color("band:N", scale=COVERAGE_COLORS, title="Mức độ phủ", legend=alt.Legend(orient="bottom", labelLimit=300)),
        size=alt.Size("villages:Q", title="Số thôn", scale=alt.Scale(range=[40, 600]), legend=None),
        stroke=alt.condition("datum.focus", alt.value("#000"), alt.value("#333")),
        strokeWidth=alt.condition("datum.focus", alt.value(2.5), alt.value(0.5)),
        tooltip=[alt.Tooltip("name:N", title=place), alt.Tooltip("parent:N", title="Thuộc"),
                 alt.Tooltip("label:N", title="Độ phủ"), alt.Tooltip("detail:N", title="Thôn có tổ")],
    )
    layers: list[alt.Chart] = [points_layer]
    for weight in ("normal", "bold"):  # text marks take their weight as a property, not an encoding
        picked = labels.loc[labels["weight"] == weight, ["lon", "lat", "name"]]
        if not picked.empty:
            layers.append(alt.Chart(picked).mark_text(align="left", dx=10, dy=-9, fontSize=11, fontWeight=weight,
                                                      color="#222").encode(longitude="lon:Q", latitude="lat:Q", text="name:N"))
    if archipelagos is not None and not archipelagos.empty:
        isles = archipelagos[["lon", "lat", "name", "label"]].round({"lon": 4, "lat": 4})
        marker = alt.Chart(isles).mark_point(shape="diamond", filled=True, size=220, opacity=1,
                                            color=ARCHIPELAGO_COLOR).encode(
            longitude="lon:Q", latitude="lat:Q", tooltip=[alt.Tooltip("label:N", title="Quần đảo")])
        # Under the marker: the names of the mainland's points run to their right, at the same latitudes.
        text = alt.Chart(isles).mark_text(align="center", dy=18, fontSize=12, fontWeight="bold", fontStyle="italic",
                                          color=ARCHIPELAGO_COLOR).encode(longitude="lon:Q", latitude="lat:Q", text="label:N")
        layers += [marker, text]
    return (
        alt.layer(*layers)
        .project(type="mercator")
        .properties(title=alt.TitleParams(title, subtitle=MAP_NOTE), height=480)
        .configure(locale=VI_LOCALE)
    )


STATUS_COLORS = alt.Scale(domain=list(vocab.RECOMMENDATION_STATUSES.values()), range=["#d73027", "#fdae61", "#1a9850"])


def build_recommendation_chart(df: pd.DataFrame, *, title: str = "Kiến nghị theo địa bàn và trạng thái",
                               order: BarOrder = "worst") -> alt.Chart:
    """Stacked bars of recommendations per unit, coloured by status; the most first, or by name."""
    data = df[["unit_id", "name", "status_label", "count"]].copy()
    # A row per unit and status: label each unit once (unique), then give every row its unit's label.
    units = data.drop_duplicates("unit_id")
    data["bar"] = data["unit_id"].map(dict(zip(units["unit_id"], unique_labels(list(units["name"])), strict=True)))
    totals = data.groupby("bar", sort=False)["count"].sum()
    data = data.drop(columns=["unit_id"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("sum(count):Q", title="Số kiến nghị", axis=alt.Axis(format=",d", tickMinStep=1)),
            y=alt.Y("bar:N", title=None, sort=bar_order(list(totals.index), list(totals), order=order, worst="high"),
                    axis=alt.Axis(labelLimit=220)),
            color=alt.Color("status_label:N", scale=STATUS_COLORS, title="Trạng thái", legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("name:N", title="Địa bàn"), alt.Tooltip("status_label:N", title="Trạng thái"),
                     alt.Tooltip("count:Q", title="Số kiến nghị", format=",d")],
        )
        .properties(title=title, height=alt.Step(26), usermeta=SVG)
        .configure(locale=VI_LOCALE)
    )


def build_resolution_chart(df: pd.DataFrame, *, title: str = "Số ngày trung bình để giải quyết",
                           order: BarOrder = "worst") -> alt.LayerChart:
    """Bars of the mean days from raising to resolving, per unit (resolved recommendations only), slowest first or by name."""
    data = df.loc[df["status"] == "resolved", ["name", "days_to_resolve"]].dropna().copy()
    data["text"] = data["days_to_resolve"].map(lambda d: fmt.number(d, 1))
    data["bar"] = unique_labels(list(data["name"]))
    bars = alt.Chart(data).mark_bar(color="#4575b4").encode(
        x=alt.X("days_to_resolve:Q", title="Ngày"),
        y=alt.Y("bar:N", title=None, sort=bar_order(list(data["bar"]), list(data["days_to_resolve"]), order=order,
                                                    worst="high"), axis=alt.Axis(labelLimit=220)),
        tooltip=[alt.Tooltip("name:N", title="Địa bàn"), alt.Tooltip("text:N", title="Số ngày trung bình")],
    )
    return (alt.layer(bars, bars.mark_text(align="left", dx=4, color="#333").encode(text="text:N"), data=data)
            .properties(title=title, height=alt.Step(26), usermeta=SVG).configure(locale=VI_LOCALE))


VILLAGE_COLORS = alt.Scale(domain=list(vocab.VILLAGE_COVERED.values()), range=["#1a9850", "#d73027"])


def build_village_chart(df: pd.DataFrame, *, title: str = "Thôn, khối phố và Tổ CNSCĐ") -> alt.LayerChart:
    """One bar per village: its team's active members, or a red "Chưa có tổ" mark where it has none."""
    data = df[["name", "team_name", "members"]].copy()
    data["bar"] = unique_labels(list(data["name"]))  # a village with two teams gets two bars
    has = df["team_id"].notna()
    data["status"] = has.map(vocab.VILLAGE_COVERED)
    data["team_name"] = data["team_name"].where(has, vocab.VILLAGE_COVERED[False])
    # An uncovered village still gets a short bar, so it shows up red instead of vanishing.
    data["length"] = data["members"].where(has, 0).astype("float64").clip(lower=0.4)
    data["text"] = [f"{fmt.number(m)} thành viên" if h else vocab.VILLAGE_COVERED[False] for m, h in zip(data["members"], has, strict=True)]
    y = alt.Y("bar:N", title=None, sort=list(data["bar"]), axis=alt.Axis(labelLimit=220))  # the read's name order
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("length:Q", title="Thành viên đang hoạt động", axis=alt.Axis(format=",d", tickMinStep=1)),
        y=y,
        color=alt.Color("status:N", scale=VILLAGE_COLORS, title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("name:N", title="Thôn"), alt.Tooltip("team_name:N", title="Tổ CNSCĐ"),
                 alt.Tooltip("text:N", title="Thành viên")],
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="text:N", color=alt.value("#333"))
    return (alt.layer(bars, text, data=data).properties(title=title, height=alt.Step(24), usermeta=SVG)
            .configure(locale=VI_LOCALE))


def build_activity_by_child_chart(
    df: pd.DataFrame, *, measure: str = "reports", title: str = "", selectable: bool = False,
) -> alt.LayerChart:
    """Horizontal bars of one activity measure per child unit, largest first; clicking a bar can select its unit."""
    data = df[["unit_id", "name", measure]].copy()
    data["text"] = data[measure].map(fmt.number)
    data["bar"] = unique_labels(list(data["name"]))
    order = bar_order(list(data["bar"]), list(data[measure]), order="worst", worst="high")  # largest first
    bars = alt.Chart(data).mark_bar(color="#4575b4").encode(
        x=alt.X(f"{measure}:Q", title=vocab.MEASURES[measure], axis=alt.Axis(format=",d", tickMinStep=1)),
        y=alt.Y("bar:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[alt.Tooltip("name:N", title="Địa bàn"), alt.Tooltip("text:N", title=vocab.MEASURES[measure])],
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="text:N")
    if selectable:
        bars = bars.add_params(alt.selection_point(name=PICK, fields=["unit_id"], on="click"))
    return (alt.layer(bars, text, data=data).properties(title=title, height=alt.Step(24), usermeta=SVG)
            .configure(locale=VI_LOCALE))


# A projector read from the back of a meeting room: 24 px text on a 1920 px-wide picture is about the size
# of 12 pt print read at arm's length from 8 m on a 3 m screen; tests hold every label to PROJECTOR_MIN_FONT.
PROJECTOR_FONT = 24
PROJECTOR_MIN_FONT = 22
PROJECTOR_TICKS = 6  # a hint: Vega picks round steps, e.g. 0%, 20% … 100%
INK = "#1f2430"
PROJECTOR_LABEL_LIMIT = 420  # px: a district's or commune's full name at 24 px


def for_projector(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec restyled for a projector: large labels, few ticks, nothing cut, filling its container.

    A spec rather than a chart: the builders' own axis settings (a label limit for a phone) win over any
    config, so they are raised in place; Streamlit sizes a "container" chart to its element.
    """
    spec = chart.to_dict()
    _widen_axes(spec)
    spec["width"] = spec["height"] = "container"
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    # Dark text: Streamlit's theme greys labels, which a projector washes out.
    big = {"labelFontSize": PROJECTOR_FONT, "titleFontSize": PROJECTOR_FONT, "labelColor": INK, "titleColor": INK}
    spec["config"] = {
        **spec.get("config", {}),
        "axis": {**big, "tickCount": PROJECTOR_TICKS, "labelLimit": PROJECTOR_LABEL_LIMIT, "titlePadding": 14,
                 "labelPadding": 6, "labelLineHeight": PROJECTOR_FONT + 4},
        "legend": {**big, "labelLimit": 0, "columns": 3, "symbolSize": 360, "rowPadding": 8, "titlePadding": 10},
        "text": {"fontSize": PROJECTOR_FONT, "color": INK},
        "line": {"strokeWidth": 4},
        "point": {"size": 90},
        "title": {"fontSize": PROJECTOR_FONT + 6},
    }
    return spec


def _widen_axes(node: Any) -> None:
    """Raise every explicit axis label limit (in all layers) to PROJECTOR_LABEL_LIMIT."""
    if isinstance(node, dict):
        axis = node.get("axis")
        if isinstance(axis, dict) and "labelLimit" in axis:
            axis["labelLimit"] = max(axis["labelLimit"], PROJECTOR_LABEL_LIMIT)
        for value in node.values():
            _widen_axes(value)
    elif isinstance(node, list):
        for value in node:
            _widen_axes(value)
