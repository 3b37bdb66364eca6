"""Altair chart builders: pure functions of pre-aggregated DataFrames."""

import altair as alt
import pandas as pd

from db import vocab
from ui import fmt

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
COVERAGE_COLORS = alt.Scale(domain=["Dưới 50%", "50% – dưới 80%", "80% – dưới 100%", "100%"],
                            range=["#d73027", "#fc8d59", "#91bfdb", "#1a9850"])


def coverage_band(ratio: float | None) -> str:
    """The colour band a coverage ratio falls in."""
    if ratio is None or pd.isna(ratio) or ratio < 0.5:
        return "Dưới 50%"
    if ratio < 0.8:
        return "50% – dưới 80%"
    if ratio < 1:
        return "80% – dưới 100%"
    return "100%"


def build_coverage_chart(df: pd.DataFrame, *, title: str = "Tỷ lệ thôn có Tổ CNSCĐ") -> alt.Chart:
    """Horizontal bars of village coverage per unit, sorted, coloured by band, labelled in Vietnamese."""
    data = df.loc[df["villages"] > 0, ["unit_id", "name", "villages", "covered", "coverage"]].copy()
    data["band"] = data["coverage"].map(coverage_band)
    data["label"] = data["coverage"].map(fmt.percent)
    data["detail"] = [f"{fmt.number(c)}/{fmt.number(v)} thôn" for c, v in zip(data["covered"], data["villages"], strict=True)]
    # Lowest coverage first: the units to follow up are the ones a meeting talks about.
    y = alt.Y("name:N", sort=alt.EncodingSortField("coverage", order="ascending"), title=None,
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
    return (
        alt.layer(bars, text, data=data)
        .properties(title=title, height=alt.Step(26))
        .configure(locale=VI_LOCALE)
    )


# Streamlit fits a fixed-height chart into its container, legend and labels included: give the
# monthly charts room for a 2-column legend of eight types under a ~240 px plot.
MONTHLY_HEIGHT = 460

MEASURES = {
    "reports": "Số báo cáo",
    "people_reached": "Lượt người được hỗ trợ",
    "households_reached": "Số hộ",
    "results": "Kết quả",
}


def build_activity_by_month_chart(df: pd.DataFrame, *, measure: str = "reports", title: str = "") -> alt.Chart:
    """Stacked monthly bars of one measure, coloured by activity type (rows are already monthly sums)."""
    data = df[["month", "activity_type", measure]].copy()
    data["type"] = data["activity_type"].map(vocab.ACTIVITY_SHORT)
    # Months as "mm/yyyy" labels in calendar order: no date parsing or time zone in the browser.
    data["label"] = [m.strftime("%m/%Y") for m in data["month"]]
    order = [m.strftime("%m/%Y") for m in sorted(set(data["month"]))]
    data["value_text"] = data[measure].map(fmt.number)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("label:O", sort=order, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(f"sum({measure}):Q", title=MEASURES[measure], axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color("type:N", title="Loại hoạt động", scale=alt.Scale(domain=list(vocab.ACTIVITY_SHORT.values())),
                            legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=[
                alt.Tooltip("label:O", title="Tháng"),
                alt.Tooltip("type:N", title="Loại"),
                alt.Tooltip("value_text:N", title=MEASURES[measure]),
            ],
        )
        .properties(title=title)
        .configure(locale=VI_LOCALE)
    )


def build_reporting_chart(df: pd.DataFrame, *, title: str = "Tỷ lệ tổ có báo cáo trong kỳ") -> alt.Chart:
    """Bars of the share of active teams that reported in the period, per unit, lowest first."""
    data = df.loc[df["teams"] > 0, ["name", "teams", "reporting", "silent", "rate"]].copy()
    data["label"] = data["rate"].map(fmt.percent)
    data["detail"] = [f"{fmt.number(r)}/{fmt.number(t)} tổ" for r, t in zip(data["reporting"], data["teams"], strict=True)]
    y = alt.Y("name:N", sort=alt.EncodingSortField("rate", order="ascending"), title=None, axis=alt.Axis(labelLimit=220))
    bars = alt.Chart(data).mark_bar(color="#4575b4").encode(
        x=alt.X("rate:Q", title="Tỷ lệ tổ có báo cáo", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=y,
        tooltip=[alt.Tooltip("name:N", title="Địa bàn"), alt.Tooltip("label:N", title="Tỷ lệ"),
                 alt.Tooltip("detail:N", title="Tổ có báo cáo")],
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="label:N")
    return alt.layer(bars, text, data=data).properties(title=title, height=alt.Step(24)).configure(locale=VI_LOCALE)


def build_organisation_chart(df: pd.DataFrame, *, title: str = "Thành viên theo tổ chức") -> alt.Chart:
    """Horizontal bars of active members per organisation."""
    data = df[["label", "members"]].copy()
    data["text"] = data["members"].map(fmt.number)
    bars = alt.Chart(data).mark_bar(color="#1a9850").encode(
        x=alt.X("members:Q", title="Số thành viên"),
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
        tooltip=[alt.Tooltip("label:N", title="Tổ chức"), alt.Tooltip("text:N", title="Thành viên")],
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(text="text:N")
    return alt.layer(bars, text, data=data).properties(title=title, height=alt.Step(24)).configure(locale=VI_LOCALE)
