"""Địa bàn: add villages under a commune; bad input refused with nothing written."""

from db.auth import actor_of
from db.models import Unit
from tests import factories
from tests.factories import count_rows
from tests.pages.conftest import button


def _villages_page(app, session, tree):  # noqa: ANN001, ANN202
    user = factories.create_user(session, role="officer", unit=tree.district, username="canbo.db")
    session.commit()
    at = app(actor_of(user)).run()
    at.switch_page("pages/villages_page.py").run()
    at.selectbox(key=f"villages_unit_0_{tree.district.id}").select(tree.commune.id).run()
    return at


def test_add_village_shows_it_in_the_list(app, session):
    tree = factories.create_tree(session)
    at = _villages_page(app, session, tree)
    before = count_rows(session, Unit, Unit.parent_id == tree.commune.id)
    at.selectbox(key="villages_kind").select("Thôn")
    at.text_input(key=f"villages_name_{tree.commune.id}_0").input("Hòa Bình Mới")
    button(at, "Thêm").click().run()
    assert not at.error
    assert count_rows(session, Unit, Unit.parent_id == tree.commune.id) == before + 1
    assert "Thôn Hòa Bình Mới" in list(at.dataframe[0].value["Thôn, khối phố"])


def test_blank_and_duplicate_names_are_refused(app, session):
    tree = factories.create_tree(session)
    at = _villages_page(app, session, tree)
    before = count_rows(session, Unit, Unit.parent_id == tree.commune.id)
    at.text_input(key=f"villages_name_{tree.commune.id}_0").input("  ")
    button(at, "Thêm").click().run()
    assert [e.value for e in at.error] == ["Tên thôn, khối phố không được để trống."]
    existing = tree.villages[0]
    at.selectbox(key="villages_kind").select(existing.kind)
    at.text_input(key=f"villages_name_{tree.commune.id}_0").input(existing.short_name.upper())
    button(at, "Thêm").click().run()
    assert len(at.error) == 1 and "đã có" in at.error[0].value
    assert count_rows(session, Unit, Unit.parent_id == tree.commune.id) == before
