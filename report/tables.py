"""Tables prepared for display: Vietnamese headers and formatted numbers and dates."""

import pandas as pd

from db import vocab
from report import fmt

NO_TEAM = "Chưa có tổ"


def coverage_table(df: pd.DataFrame) -> pd.DataFrame:
    """Coverage by unit with Vietnamese headers; numbers formatted with Vietnamese separators."""
    return pd.DataFrame(
        {
            "Địa bàn": df["name"],
            "Số thôn": df["villages"].map(fmt.number),
            "Thôn có tổ": df["covered"].map(fmt.number),
            "Độ phủ thôn": df["coverage"].map(fmt.percent),
            "Số xã": df["communes"].map(fmt.number),
            "Xã có tổ cấp xã": df["communes_with_team"].map(fmt.number),
            "Tổ đang hoạt động": df["teams"].map(fmt.number),
            "Thành viên": df["members"].map(fmt.number),
        }
    )


def teams_table(df: pd.DataFrame) -> pd.DataFrame:
    """Teams with their unit, dates, status and member count."""
    return pd.DataFrame(
        {
            "Mã tổ": df["team_id"],
            "Tên tổ": df["name"],
            "Địa bàn": df["unit"],
            "Thuộc": df["parent"],
            "Ngày thành lập": df["established_on"].map(fmt.day),
            "Số quyết định": df["decision_no"].fillna(""),
            "Trạng thái": [fmt.team_status(None if a else c) for a, c in zip(df["active"], df["closed_on"], strict=True)],
            "Thành viên": df["members"].map(fmt.number),
        }
    )


def members_table(df: pd.DataFrame) -> pd.DataFrame:
    """Members with Vietnamese labels for their codes."""
    return pd.DataFrame(
        {
            "Họ và tên": df["full_name"],
            "Vai trò": df["role"].map(vocab.MEMBER_ROLES),
            "Giới tính": df["gender"].map(lambda g: vocab.GENDERS.get(g, "")),
            "Năm sinh": df["birth_year"].map(lambda y: "" if pd.isna(y) else str(int(y))),
            "Điện thoại": df["phone"].fillna(""),
            "Tổ chức": df["organisation"].map(vocab.ORGANISATIONS),
            "Chức vụ": df["position"].fillna(""),
            "Ngày tham gia": df["joined_on"].map(fmt.day),
            "Ngày rời tổ": df["left_on"].map(lambda d: "" if d is None or pd.isna(d) else fmt.day(d)),
        }
    )


def uncovered_table(df: pd.DataFrame) -> pd.DataFrame:
    """Villages without a team, with their commune and district."""
    return pd.DataFrame({"Thôn / khối phố": df["village"], "Xã / phường / thị trấn": df["commune"], "Huyện": df["district"]})


def village_teams_table(df: pd.DataFrame) -> pd.DataFrame:
    """A commune's villages with their team, its date and active members; "Chưa có tổ" where there is none."""
    has = df["team_id"].notna()
    return pd.DataFrame(
        {
            "Thôn, khối phố": df["name"],
            "Tổ CNSCĐ": df["team_name"].where(has, NO_TEAM),
            "Ngày thành lập": [fmt.day(d) if h else "" for d, h in zip(df["established_on"], has, strict=True)],
            "Thành viên đang hoạt động": [fmt.number(m) if h else "" for m, h in zip(df["members"], has, strict=True)],
        }
    )


def activity_by_child_table(df: pd.DataFrame) -> pd.DataFrame:
    """Reports and people reached per child unit, with Vietnamese headers."""
    return pd.DataFrame(
        {
            "Địa bàn": df["name"],
            "Số báo cáo": df["reports"].map(fmt.number),
            "Lượt người được hỗ trợ": df["people_reached"].map(fmt.number),
        }
    )


def progress_table(df: pd.DataFrame) -> pd.DataFrame:
    """Child units against their target: coverage, deadline, projected date, status."""
    return pd.DataFrame(
        {
            "Địa bàn": df["name"],
            "Thôn có tổ": [f"{fmt.number(c)}/{fmt.number(v)}" for c, v in zip(df["covered"], df["villages"], strict=True)],
            "Độ phủ": df["coverage"].map(fmt.percent),
            "Chỉ tiêu": df["goal"].map(lambda g: fmt.percent(g) if g is not None and not pd.isna(g) else "—"),
            "Hạn": df["deadline"].map(lambda d: fmt.day(d) if d is not None else "—"),
            "Dự kiến đạt": df["projected"].map(lambda d: fmt.day(d) if d is not None else "—"),
            "Tiến độ": df["status"].map(vocab.TARGET_STATUSES),
        }
    )


def silent_table(df: pd.DataFrame) -> pd.DataFrame:
    """Silent teams with their place and last report."""
    return pd.DataFrame(
        {
            "Tổ": df["name"],
            "Địa bàn": df["unit"],
            "Thuộc": df["parent"].fillna(""),
            "Báo cáo gần nhất": df["last_report"].map(lambda d: fmt.day(d) if d is not None and not pd.isna(d) else "Chưa có"),
        }
    )


def months_table(df: pd.DataFrame) -> pd.DataFrame:
    """Reports and people reached per month and activity type."""
    return pd.DataFrame(
        {
            "Tháng": [m.strftime("%m/%Y") for m in df["month"]],
            "Loại hoạt động": df["type_label"],
            "Số báo cáo": df["reports"],
            "Lượt người được hỗ trợ": df["people_reached"],
            "Lượt hộ được hỗ trợ": df["households_reached"],
        }
    )
