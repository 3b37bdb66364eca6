"""What a list shows on screen: blank cells where a value is missing."""

import pandas as pd

from ui import downloads


def test_empty_text_cells_are_blank_on_screen_and_the_rest_is_unchanged():
    frame = pd.DataFrame({
        "Tên tổ": ["Tổ A", "Tổ B", "Tổ C"],
        "Thuộc": ["Huyện Phú Ninh", None, float("nan")],
        "Ghi chú": pd.Series(["x", pd.NA, "z"], dtype="string"),
        "Thành viên": [3, 4, 5],
    })
    shown = downloads.blank_empty_cells(frame)
    assert shown["Thuộc"].tolist() == ["Huyện Phú Ninh", "", ""]
    assert shown["Ghi chú"].tolist() == ["x", "", "z"]
    assert shown["Thành viên"].tolist() == [3, 4, 5]
    assert frame["Thuộc"].isna().sum() == 2  # the Excel export still gets the frame as it was

