"""The carry-over page's tables and sentences, from db/reform.py's plan and result (pure pandas, no Streamlit)."""

from datetime import date

import pandas as pd

from db import vocab
from db.reform import CarryOverResult
from db.text import collation_key
from report import fmt

NO_COMMUNE = "(chưa có xã mới)"


def preview_by_commune(villages: pd.DataFrame) -> pd.DataFrame:
    """Villages to carry per 2025 province and commune, counted by the basis of their move, with a total."""
    bases = list(vocab.REFORM_BASES)
    if villages.empty:
        return pd.DataFrame(columns=["Tỉnh mới", "Xã mới", *[vocab.REFORM_BASES[b] for b in bases], "Tổng số thôn"])
    keyed = villages.assign(new_province=villages["new_province"].fillna(NO_COMMUNE),
                            new_commune=villages["new_commune"].fillna(NO_COMMUNE))
    table = keyed.pivot_table(index=["new_province", "new_commune"], columns="basis", values="village_id", aggfunc="count",
                              fill_value=0)
    table = table.reindex(columns=bases, fill_value=0)
    used = [b for b in bases if table[b].sum() > 0]  # a basis no village has would be a column of zeros
    table = table[used]
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    table.columns = ["Tỉnh mới", "Xã mới", *[vocab.REFORM_BASES[b] for b in used], "Tổng số thôn"]
    for column in table.columns[2:]:
        table[column] = table[column].map(fmt.number)
    return table


def to_confirm_table(villages: pd.DataFrame) -> pd.DataFrame:
    """The villages of divided communes still to confirm, with the commune they would go to and why."""
    rows = villages.loc[villages["to_confirm"].astype(bool)]
    return pd.DataFrame({
        "Thôn": rows["village"], "Xã cũ": rows["legacy_commune"], "Huyện cũ": rows["district"],
        "Xã mới dự kiến": rows["new_commune"], "Căn cứ": rows["basis"].map(vocab.REFORM_BASES),
        "Các xã mới có thể chọn": rows["options"].map(lambda options: ", ".join(name for _, name in options)),
    })


def divided_communes(villages: pd.DataFrame) -> dict[int, str]:
    """Legacy communes with villages to place among several 2025 communes: id → "Xã …, Huyện … (n thôn cần xác nhận)"."""
    rows = villages.loc[villages["options"].map(len) > 1]
    found: list[tuple[bool, str, int]] = []
    for commune_id, group in rows.groupby("legacy_commune_id", sort=False):
        first = group.iloc[0]
        waiting = int(group["to_confirm"].sum())
        note = f" ({fmt.number(waiting)} thôn cần xác nhận)" if waiting else " (đã xác nhận)"
        found.append((waiting == 0, f"{first['legacy_commune']}, {first['district']}{note}", int(commune_id)))
    found.sort(key=lambda item: (item[0], collation_key(item[1])))  # those still to confirm first, then by name
    return {commune_id: label for _, label, commune_id in found}


def result_text(result: CarryOverResult, day: date) -> str:
    """What a carry-over did, in one Vietnamese paragraph."""
    text = (f"Ngày {fmt.day(day)}: đã chuyển {fmt.number(result.villages)} thôn, {fmt.number(result.teams)} tổ, "
            f"{fmt.number(result.members)} thành viên và {fmt.number(result.reports)} báo cáo từ ngày 01/07/2025 "
            "sang địa giới mới.")
    if result.skipped:
        text += f" {fmt.number(result.skipped)} thôn chưa có xã mới tương ứng nên được giữ nguyên."
    return text
