"""The Excel import section shared by Địa bàn and Tổ CNSCĐ: templates, upload, preview, problems, import."""

import hashlib

import streamlit as st

from db import imports
from db.access import Actor
from db.errors import UserError
from report import templates
from ui import data, downloads, forms, widgets

UPLOAD_PREFIX = "imports_file_"  # ui/style.py writes the uploader's texts in Vietnamese for this key prefix
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _parsed(key: str, content: bytes) -> tuple[str, imports.ParsedWorkbook]:
    """The uploaded file read once per upload (reruns reuse it); a UserError when it is not a usable .xlsx."""
    digest = hashlib.sha256(content).hexdigest()
    kept = st.session_state.get(f"{key}_parsed")
    if kept is not None and kept[0] == digest:
        return kept
    book = imports.read_workbook(content)
    st.session_state[f"{key}_parsed"] = (digest, book)
    return digest, book


def _plan(key: str, actor: Actor, digest: str, book: imports.ParsedWorkbook,
          default_commune_id: int | None) -> imports.ImportPlan:
    """The preview, kept until the file or the data changes."""
    stamp = (digest, data.data_version(), default_commune_id)
    kept = st.session_state.get(f"{key}_plan")
    if kept is not None and kept[0] == stamp:
        return kept[1]
    plan = data.read_fresh(imports.plan_import, actor, source=book, default_commune_id=default_commune_id)
    st.session_state[f"{key}_plan"] = (stamp, plan)
    return plan


def template_buttons(key: str) -> None:
    """The blank templates: members (with village, commune and team columns), teams only, villages only."""
    c1, c2, c3 = st.columns(3)
    c1.download_button("Tải mẫu danh sách thành viên tổ", data=templates.members_template,
                       file_name="mau-danh-sach-thanh-vien-to-cnscd.xlsx", mime=XLSX, key=f"{key}_template_members",
                       icon=":material/download:")
    c2.download_button("Tải mẫu danh sách tổ", data=templates.teams_template,
                       file_name="mau-danh-sach-to-cnscd.xlsx", mime=XLSX, key=f"{key}_template_teams",
                       icon=":material/download:")
    c3.download_button("Tải mẫu danh sách thôn, khối phố", data=templates.villages_template,
                       file_name="mau-danh-sach-thon.xlsx", mime=XLSX, key=f"{key}_template_villages",
                       icon=":material/download:")


def render_import(actor: Actor, *, key: str, scope_label: str, default_commune_id: int | None = None) -> None:
    """Upload an .xlsx, preview what it will create or update with every problem, then import it in one go."""
    if not actor.can_write:
        return
    widgets.flash(f"{key}_flash")
    st.markdown(
        f"Nhập thôn, Tổ CNSCĐ và thành viên trong phạm vi **{widgets.md(scope_label)}** từ tệp Excel: mỗi dòng một "
        "thành viên (hoặc một thôn), có cột Xã, Thôn và số, ngày quyết định thành lập tổ. Bảng có thể có dòng tiêu đề, "
        "ô gộp, tên cột có dấu hoặc không dấu. Chưa có gì được ghi cho đến khi bấm **Nhập dữ liệu**."
    )
    template_buttons(key)
    nonce = st.session_state.setdefault(f"{key}_nonce", 0)  # a new nonce empties the uploader after an import
    upload = st.file_uploader("Tệp Excel (.xlsx, tối đa 10 MB)", key=f"{UPLOAD_PREFIX}{key}_{nonce}")
    if upload is None:
        return
    try:
        digest, book = _parsed(key, upload.getvalue())
        plan = _plan(key, actor, digest, book, default_commune_id)
    except UserError as err:
        st.error(widgets.md(err.message))
        return
    st.markdown(f"**{widgets.md(upload.name)}**: {widgets.md(plan.summary())}")
    if plan.skipped_sheets:
        st.caption("Bỏ qua trang tính không có bảng: " + ", ".join(widgets.md(name) for name in plan.skipped_sheets))
    if plan.problems:
        st.error(f"Tệp có {len(plan.problems)} lỗi; chưa có gì được ghi. Hãy sửa trong Excel rồi tải lên lại.")
        problems = plan.problems_frame()
        st.dataframe(problems, hide_index=True, width="stretch")
        downloads.excel_button({"Lỗi": problems}, name="loi-nhap-du-lieu", key=f"{key}_problems_xlsx",
                               label="Tải danh sách lỗi (Excel)")
    preview = plan.preview_frame()
    only_bad = bool(plan.problems) and st.toggle("Chỉ xem các dòng có lỗi", key=f"{key}_only_bad")
    shown = preview[preview["Kiểm tra"] == "Có lỗi"] if only_bad else preview
    st.dataframe(shown, hide_index=True, width="stretch")
    if not plan.ok:
        return
    if plan.changes == 0:
        st.info("Mọi thôn, tổ và thành viên trong tệp đã có; không có gì mới để nhập.")
        return
    if not st.button("Nhập dữ liệu", type="primary", key=f"{key}_apply", icon=":material/upload:"):
        return
    bar = st.progress(0.0, text="Đang nhập…")
    forms.submit(imports.apply_import, actor=actor, source=book, default_commune_id=default_commune_id,
                 progress=lambda share, text: bar.progress(min(1.0, share), text=text),
                 success=imports.import_summary, flash=f"{key}_flash",
                 then={f"{key}_nonce": nonce + 1, f"{key}_parsed": None, f"{key}_plan": None})  # the next upload starts afresh
    bar.empty()  # reached only when the import was refused: its message is shown, the bar goes
