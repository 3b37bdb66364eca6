"""Địa bàn: the villages of a commune, the form to add one, the Excel import and export."""

import pandas as pd
import streamlit as st

from db import limits, units, vocab
from report import fmt
from ui import data, downloads, forms, widgets
from ui.imports import render_import
from ui.session import require_actor, shown_errors

actor = require_actor()
st.title("Địa bàn: thôn, khối phố")
widgets.flash("villages_flash")
commune = widgets.unit_picker(actor, key="villages_unit", stop_tier="commune", search_tiers=("commune",),
                              search_label="Tìm xã, phường, thị trấn (gõ có dấu hoặc không dấu)")
if actor.can_write:
    with st.expander("Nhập từ Excel", icon=":material/upload_file:", key="villages_import_open", on_change="rerun"):
        render_import(actor, key="villages_import", scope_label=commune.name,
                      default_commune_id=commune.id if commune.tier == "commune" else None)
if commune.tier != "commune":
    st.info("Chọn một xã, phường hoặc thị trấn để xem và thêm thôn, khối phố.")
    st.stop()

with shown_errors():
    villages = data.read(units.fetch_villages, actor, commune_id=commune.id)
    st.subheader(widgets.md(f"{commune.name}: {fmt.number(len(villages))} thôn, khối phố"))
    if villages.empty:
        st.info("Xã này chưa có thôn, khối phố nào. Thêm thôn đầu tiên ở biểu mẫu bên dưới.")
    else:
        table = pd.DataFrame({
            "Thôn, khối phố": villages["name"],
            "Tổ CNSCĐ đang hoạt động": villages["team_name"].fillna("Chưa có tổ"),
            "Ngày thành lập": villages["established_on"].map(lambda d: fmt.day(d) if d is not None else ""),
        })
        st.dataframe(table, hide_index=True, width="stretch")
        downloads.excel_button({"Thôn, khối phố": table}, name=f"thon-{commune.id}", key="villages_export", label="Tải Excel")

if actor.can_write:
    st.subheader("Thêm thôn, khối phố")
    errors = widgets.FieldErrors()
    nonce = st.session_state.setdefault("villages_nonce", 0)  # a new nonce gives an empty form
    with st.form(f"villages_add_{commune.id}_{nonce}", clear_on_submit=False):
        kind = st.selectbox("Loại", vocab.VILLAGE_KINDS, key="villages_kind")
        errors.slot("kind")
        name = st.text_input("Tên (không cần gõ chữ “Thôn”)", key=f"villages_name_{commune.id}_{nonce}", max_chars=limits.NAME_MAX)
        errors.slot("name")
        submitted = st.form_submit_button("Thêm", type="primary")
    if submitted:
        forms.submit(units.create_village, actor=actor, commune_id=commune.id, kind=kind, name=name,
                     success=f"Đã thêm {kind} {name.strip()} vào {commune.name}.", flash="villages_flash", errors=errors,
                     then={"villages_nonce": nonce + 1})
