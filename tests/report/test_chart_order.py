"""Bar charts of units carry an explicit order Vega-Lite keeps in every layer: worst first, or by Vietnamese name."""

import json

import pandas as pd
import pytest

from report import charts

NAMES = ["Xã Tam Thái", "Xã Tam Đàn", "Huế", "Hà Nội", "Đà Nẵng", "Hồ Chí Minh"]


def y_sorts(spec: dict) -> list:
    """The y encoding's sort of every view of a (possibly layered) spec."""
    views = spec.get("layer", [spec])
    return [view["encoding"]["y"].get("sort") for view in views if "y" in view.get("encoding", {})]


def assert_explicit(spec: dict, expected: list[str]) -> None:
    """Every layer sorts y by the same explicit list, and no sort by a field (with an op) is left."""
    sorts = y_sorts(spec)
    assert sorts and all(s == expected for s in sorts)
    text = json.dumps(spec)
    assert '"op"' not in text and "-x" not in text
    assert spec["usermeta"] == {"embedOptions": {"renderer": "svg"}}  # labels as text in the page


def coverage_frame() -> pd.DataFrame:
    return pd.DataFrame({"unit_id": range(1, 7), "name": NAMES, "villages": [10] * 6,
                         "covered": [5, 5, 9, 2, 7, 5]}).assign(coverage=lambda d: d["covered"] / d["villages"])


def test_coverage_lowest_first_ties_by_vietnamese_name() -> None:
    spec = charts.build_coverage_chart(coverage_frame(), selectable=True).to_dict()
    assert_explicit(spec, ["Hà Nội", "Hồ Chí Minh", "Xã Tam Đàn", "Xã Tam Thái", "Đà Nẵng", "Huế"])


def test_coverage_by_name() -> None:
    spec = charts.build_coverage_chart(coverage_frame(), order="name").to_dict()
    assert_explicit(spec, ["Đà Nẵng", "Hà Nội", "Hồ Chí Minh", "Huế", "Xã Tam Đàn", "Xã Tam Thái"])


def test_repeated_names_get_unique_labels_with_their_parent() -> None:
    frame = pd.DataFrame({"unit_id": [1, 2, 3], "name": ["Xã Tam Phước", "Xã Tam Phước", "Xã Bình An"],
                          "parent": ["Huyện Phú Ninh", "Huyện Núi Thành", "Huyện Thăng Bình"],
                          "villages": [4, 4, 4], "covered": [1, 3, 2]})
    frame["coverage"] = frame["covered"] / frame["villages"]
    spec = charts.build_coverage_chart(frame).to_dict()
    assert_explicit(spec, ["Xã Tam Phước – Huyện Phú Ninh", "Xã Bình An", "Xã Tam Phước – Huyện Núi Thành"])
    without_parent = charts.build_coverage_chart(frame.drop(columns=["parent"]), order="name").to_dict()
    assert_explicit(without_parent, ["Xã Bình An", "Xã Tam Phước", "Xã Tam Phước (2)"])


@pytest.mark.parametrize(("order", "expected"), [
    ("worst", ["Hồ Chí Minh", "Đà Nẵng", "Hà Nội", "Huế"]),
    ("name", ["Đà Nẵng", "Hà Nội", "Hồ Chí Minh", "Huế"]),
])
def test_reporting_rate(order: charts.BarOrder, expected: list[str]) -> None:
    frame = pd.DataFrame({"unit_id": [1, 2, 3, 4], "name": ["Huế", "Hà Nội", "Hồ Chí Minh", "Đà Nẵng"],
                          "teams": [4, 4, 4, 4], "reporting": [4, 3, 1, 3]})
    frame["silent"] = frame["teams"] - frame["reporting"]
    frame["rate"] = frame["reporting"] / frame["teams"]
    assert_explicit(charts.build_reporting_chart(frame, order=order).to_dict(), expected)


def recommendation_counts() -> pd.DataFrame:
    rows = [(1, "Huế", "open", 2, None), (1, "Huế", "resolved", 1, 4.0), (2, "Hà Nội", "resolved", 4, 9.5),
            (3, "Đà Nẵng", "open", 1, None), (3, "Đà Nẵng", "resolved", 2, 4.0)]
    df = pd.DataFrame(rows, columns=["unit_id", "name", "status", "count", "days_to_resolve"])
    df["status_label"] = df["status"].map({"open": "Chưa xử lý", "resolved": "Đã giải quyết"})
    return df


@pytest.mark.parametrize(("order", "expected"), [
    ("worst", ["Hà Nội", "Đà Nẵng", "Huế"]),  # the most recommendations first, ties by name
    ("name", ["Đà Nẵng", "Hà Nội", "Huế"]),
])
def test_recommendations(order: charts.BarOrder, expected: list[str]) -> None:
    assert_explicit(charts.build_recommendation_chart(recommendation_counts(), order=order).to_dict(), expected)


@pytest.mark.parametrize(("order", "expected"), [
    ("worst", ["Hà Nội", "Đà Nẵng", "Huế"]),  # the slowest first, ties by name
    ("name", ["Đà Nẵng", "Hà Nội", "Huế"]),
])
def test_resolution_days(order: charts.BarOrder, expected: list[str]) -> None:
    assert_explicit(charts.build_resolution_chart(recommendation_counts(), order=order).to_dict(), expected)


def test_organisations_largest_first_ties_by_name() -> None:
    frame = pd.DataFrame({"label": ["Đoàn Thanh niên", "Hội Phụ nữ", "Công an xã"], "members": [3, 5, 3]})
    assert_explicit(charts.build_organisation_chart(frame).to_dict(), ["Hội Phụ nữ", "Công an xã", "Đoàn Thanh niên"])
