"""Kiến nghị: everyone raises difficulties, recommendations and proposals; officers above answer them."""

import streamlit as st

from db import recommendations as recs
from db.errors import UserError
from ui import charts, data, downloads, fmt, navigation, widgets
from ui.session import require_actor, run_action, shown_errors

actor = require_actor()
st.title("Kiến nghị, đề xuất")
widgets.flash("feedback_flash")


def raise_form() -> None:
    """A volunteer raises one for their team; others for a unit in their scope."""
    unit_id = None
    if not actor.acts_for_own_team:
        unit_id = widgets.unit_picker(actor, key="feedback_new_unit", stop_tier="village").id
    nonce = st.session_state.setdefault("feedback_nonce", 0)
    errors = widgets.FieldErrors()
    errors.slot("unit")
    with st.form(f"feedback_new_{nonce}"):
        category = st.radio("Loại", list(recs.CATEGORIES), format_func=recs.CATEGORIES.get, horizontal=True, key=f"feedback_cat_{nonce}")
        errors.slot("category")
        text = st.text_area("Nội dung", key=f"feedback_text_{nonce}", max_chars=4000,
                            placeholder="vd. Thôn chưa có sóng 4G ổn định để hướng dẫn người dân nộp hồ sơ trực tuyến")
        errors.slot("text")
        sent = st.form_submit_button("Gửi kiến nghị", type="primary")
    if sent:
        try:
            run_action(recs.create_recommendation, actor=actor, unit_id=unit_id, category=category, text=text)
        except UserError as err:
            errors.show(err.message, err.field)
        else:
            st.session_state["feedback_flash"] = "Đã gửi kiến nghị; cán bộ cấp trên sẽ trả lời."
            st.session_state["feedback_nonce"] = nonce + 1
            st.rerun()


def list_section() -> None:
    """The list by status and category, with the answer form for officers."""
    c1, c2 = st.columns(2)
    status = c1.selectbox("Trạng thái", [None, *recs.STATUSES], format_func=lambda s: "Tất cả" if s is None else recs.STATUSES[s],
                          key="feedback_status")
    category = c2.selectbox("Loại", [None, *recs.CATEGORIES], format_func=lambda c: "Tất cả" if c is None else recs.CATEGORIES[c],
                            key="feedback_category")
    items = data.read(recs.fetch_recommendations, actor, unit_id=None, status=status, category=category)
    st.caption(f"{fmt.number(len(items))} kiến nghị")
    if items.empty:
        st.info("Chưa có kiến nghị nào.")
        return
    downloads.table(
        {
            "Ngày gửi": items["raised_at"].map(fmt.day),
            "Loại": items["category"].map(recs.CATEGORIES),
            "Địa bàn": items["unit"] + ", " + items["parent"].fillna(""),
            "Nội dung": items["text"],
            "Trạng thái": items["status"].map(recs.STATUSES),
            "Trả lời": items["answer"].fillna(""),
            "Ngày giải quyết": items["resolved_at"].map(lambda d: fmt.day(d) if d is not None and d == d else ""),
        },
        name="kien-nghi", key="feedback_list_export", sheet="Kiến nghị",
    )
    answerable = items[items["can_answer"]]
    if answerable.empty:
        return
    st.subheader("Trả lời kiến nghị")
    labels = {int(r.recommendation_id): f"{fmt.day(r.raised_at)} · {r.unit} · {r.text[:60]}" for r in answerable.itertuples()}
    chosen = st.selectbox("Kiến nghị", list(labels), format_func=labels.get, key="feedback_answer_pick")
    row = answerable.loc[answerable["recommendation_id"] == chosen].iloc[0]
    st.markdown(widgets.md(row["text"]))
    nexts = list(recs.NEXT_STATUSES[row["status"]])
    errors = widgets.FieldErrors()
    with st.form(f"feedback_answer_{chosen}"):
        answer = st.text_area("Nội dung trả lời", value=row["answer"] if isinstance(row["answer"], str) else "",
                              key=f"feedback_answer_text_{chosen}", max_chars=4000)
        errors.slot("answer")
        new_status = st.radio("Chuyển sang", nexts, format_func=recs.STATUSES.get, horizontal=True, key=f"feedback_answer_status_{chosen}")
        errors.slot("status")
        saved = st.form_submit_button("Lưu trả lời", type="primary")
    if saved:
        try:
            run_action(recs.answer_recommendation, actor=actor, recommendation_id=chosen, answer=answer, status=new_status)
        except UserError as err:
            errors.show(err.message, err.field)
        else:
            st.session_state["feedback_flash"] = f"Đã cập nhật kiến nghị: {recs.STATUSES[new_status]}."
            st.rerun()


def charts_section() -> None:
    """Counts by child unit and status, and the time to resolve."""
    unit = navigation.unit_in_view(actor, key="feedback_nav")
    counts = data.read(recs.fetch_recommendation_counts, actor, unit_id=unit.id)
    if counts.empty:
        st.info("Chưa có kiến nghị nào trong địa bàn này.")
        return
    st.altair_chart(charts.build_recommendation_chart(counts), width="stretch", key="feedback_counts")
    if (counts["status"] == "resolved").any():
        st.altair_chart(charts.build_resolution_chart(counts), width="stretch", key="feedback_days")


with shown_errors():
    tabs = st.tabs(["Danh sách", "Gửi kiến nghị", "Thống kê"])
    with tabs[0]:
        list_section()
    with tabs[1]:
        raise_form()
    with tabs[2]:
        charts_section()
