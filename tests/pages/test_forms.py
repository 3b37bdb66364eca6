"""ui.forms.submit: one write per submitted form, the message under its field, the flash and a rerun on success."""

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from db.errors import UserError
    from ui import forms, widgets

    def action(session, *, name: str) -> str:  # noqa: ANN001 - a stand-in for a db write
        if not name.strip():
            raise UserError("Tên không được để trống.", field="name")
        return name.strip()

    widgets.flash("forms_flash")
    errors = widgets.FieldErrors()
    with st.form("forms_test"):
        name = st.text_input("Tên", key="forms_name")
        errors.slot("name")
        sent = st.form_submit_button("Lưu")
    st.caption("after the form")
    if sent:
        nonce = st.session_state.get("forms_nonce", 0)
        forms.submit(action, name=name, success=lambda saved: f"Đã lưu {saved}.", flash="forms_flash", errors=errors,
                     then={"forms_nonce": nonce + 1})
        st.caption("refused")  # only reached when the write was refused


def test_a_refused_write_shows_its_message_and_keeps_the_input(engine):  # noqa: ANN001 - a fresh database
    at = AppTest.from_function(_script, default_timeout=30).run()
    at.text_input(key="forms_name").input("   ")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Tên không được để trống."]
    assert "refused" in [c.value for c in at.caption]
    assert at.text_input(key="forms_name").value == "   "
    assert "forms_nonce" not in at.session_state and not at.success


def test_a_write_that_succeeds_flashes_its_message_and_reruns(engine):  # noqa: ANN001
    at = AppTest.from_function(_script, default_timeout=30).run()
    at.text_input(key="forms_name").input(" Phú Mỹ ")
    at.button[0].click().run()
    assert not at.error
    assert [s.value.replace("\\", "") for s in at.success] == ["Đã lưu Phú Mỹ."]  # flash escapes markdown
    assert at.session_state["forms_nonce"] == 1
    assert "refused" not in [c.value for c in at.caption]
