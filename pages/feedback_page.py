"""Kiến nghị: everyone raises difficulties, recommendations and proposals; officers above answer them."""

import streamlit as st

from db import limits, vocab
from db import recommendations as recs
from report import charts, fmt
from ui import data, downloads, forms, live, navigation, widgets
from ui.session import require_actor, shown_errors

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
        category = st.radio("Loại", list(vocab.RECOMMENDATION_CATEGORIES), format_func=vocab.RECOMMENDATION_CATEGORIES.get, horizontal=True,
                            key=f"feedback_cat_{nonce}")
        errors.slot("category")
        text = st.text_area("Nội dung", key=f"feedback_text_{nonce}", max_chars=limits.RECOMMENDATION_MAX,
                            placeholder="vd. Thôn chưa có sóng 4G ổn định để hướng dẫn người dân nộp hồ sơ trực tuyến")
        errors.slot("text")
        sent = st.form_submit_button("Gửi kiến nghị", type="primary")
    if sent:
        forms.submit(recs.create_recommendation, actor=actor, unit_id=unit_id, category=category, text=text,
                     success="Đã gửi kiến nghị; cán bộ cấp trên sẽ trả lời.", flash="feedback_flash", errors=errors,
                     then={"feedback_nonce": nonce + 1})


def list_section() -> None:
    """The list by status and category, with the answer form for officers."""
    c1, c2 = st.columns(2)
    status = c1.selectbox("Trạng thái", [None, *vocab.RECOMMENDATION_STATUSES],
                          format_func=lambda s: "Tất cả" if s is None else vocab.RECOMMENDATION_STATUSES[s],
                          key="feedback_status")
    category = c2.selectbox("Loại", [None, *vocab.RECOMMENDATION_CATEGORIES],
                            format_func=lambda c: "Tất cả" if c is None else vocab.RECOMMENDATION_CATEGORIES[c],
                            key="feedback_category")
    items = data.read(recs.fetch_recommendations, actor, unit_id=None, status=status, category=category)
    st.caption(f"{fmt.number(len(items))} kiến nghị")
    if items.empty:
        st.info("Chưa có kiến nghị nào.")
        return
    downloads.table(
        {
            "Ngày gửi": items["raised_at"].map(fmt.day),
            "Loại": items["category"].map(vocab.RECOMMENDATION_CATEGORIES),
            "Địa bàn": items["unit"] + ", " + items["parent"].fillna(""),
            "Nội dung": items["text"],
            "Trạng thái": items["status"].map(vocab.RECOMMENDATION_STATUSES),
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
                              key=f"feedback_answer_text_{chosen}", max_chars=limits.RECOMMENDATION_MAX)
        errors.slot("answer")
        new_status = st.radio("Chuyển sang", nexts, format_func=vocab.RECOMMENDATION_STATUSES.get, horizontal=True,
                              key=f"feedback_answer_status_{chosen}")
        errors.slot("status")
        saved = st.form_submit_button("Lưu trả lời", type="primary")
    if saved:
        forms.submit(recs.answer_recommendation, actor=actor, recommendation_id=chosen, answer=answer, status=new_status,
                     success=f"Đã cập nhật kiến nghị: {vocab.RECOMMENDATION_STATUSES[new_status]}.", flash="feedback_flash",
                     errors=errors)


def charts_section() -> None:
    """Counts by child unit and status, and the time to resolve, for the unit in view."""
    recommendation_charts(navigation.unit_in_view(actor, key="feedback_nav").id)


@live.fragment(actor, "feedback_charts")
def recommendation_charts(unit_id: int | None) -> None:
    """The unit's counts and resolution times; live."""
    counts = data.read(recs.fetch_recommendation_counts, actor, unit_id=unit_id)
    if counts.empty:
        st.info("Chưa có kiến nghị nào trong địa bàn này.")
        return
    order = widgets.bar_order(key="feedback_charts_order", worst=vocab.BAR_ORDER_MOST_FIRST)  # both charts follow it
    st.altair_chart(charts.build_recommendation_chart(counts, order=order), width="stretch", key="feedback_counts")
    if (counts["status"] == "resolved").any():
        st.altair_chart(charts.build_resolution_chart(counts, order=order), width="stretch", key="feedback_days")


with shown_errors():
    tabs = st.tabs(["Danh sách", "Gửi kiến nghị", "Thống kê"])
    with tabs[0]:
        list_section()
    with tabs[1]:
        raise_form()
    with tabs[2]:
        charts_section()
