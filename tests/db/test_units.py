"""Units: search ignoring case and diacritics, resolving a unit named on the command line, the breadcrumb."""

import pytest

from db import units
from db.auth import SYSTEM
from db.errors import NotFound, PermissionDenied, UserError
from tests import factories

# ---- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tam phuoc", "Xã Tam Phước"),
        ("TAM PHƯỚC", "Xã Tam Phước"),
        ("  xã   tam phước ", "Xã Tam Phước"),
        ("dan thuong", "Thôn Đàn Thượng"),  # đ folds to d
        ("Đàn", "Thôn Đàn Thượng"),
        ("dan", "Xã Tam Dân"),
        ("núi thanh", "Huyện Núi Thành"),
    ],
)
def test_search_ignores_case_and_diacritics(session, query, expected):
    tree = factories.create_tree(session)
    factories.create_unit(session, parent=tree.district, tier="commune", kind="Xã", short="Tam Dân")
    session.commit()
    names = list(units.search_units(session, actor=SYSTEM, query=query)["name"])
    assert expected in names


@pytest.mark.parametrize("query", ["", "   ", "%", "_", "xyz"])
def test_search_finds_nothing_for_empty_text_or_wildcards(session, query):
    factories.create_tree(session)
    session.commit()
    assert units.search_units(session, actor=SYSTEM, query=query).empty


def test_search_labels_a_unit_with_its_parents_and_filters_tiers(session):
    tree = factories.create_tree(session)
    session.commit()
    found = units.search_units(session, actor=SYSTEM, query="phu my")
    row = found.set_index("id").loc[tree.villages[0].id]
    assert row["label"] == "Thôn Phú Mỹ, Xã Tam Phước, Huyện Phú Ninh"
    communes = units.search_units(session, actor=SYSTEM, query="tam", tiers=("commune",))
    assert set(communes["name"]) == {tree.commune.name, tree.commune2.name}


def test_search_stays_inside_the_actor_scope(session):
    tree = factories.create_tree(session)
    phu_ninh = factories.officer_of(session, tree.district)
    nui_thanh = factories.officer_of(session, tree.district2)
    session.commit()
    assert set(units.search_units(session, actor=phu_ninh, query="tam")["name"]) == {tree.commune.name}
    assert set(units.search_units(session, actor=nui_thanh, query="tam")["name"]) == {tree.commune2.name}
    assert set(units.search_units(session, actor=factories.admin(), query="tam")["name"]) == {tree.commune.name, tree.commune2.name}
    assert units.search_units(session, actor=nui_thanh, query="phu my").empty


# ---- resolving a unit named on the command line -------------------------------------------------


@pytest.mark.parametrize("ref", ["512", "Huyện Phú Ninh", "huyen phu ninh", "  HUYỆN PHÚ NINH  "])
def test_resolve_unit_by_code_exact_or_folded_name(session, ref):
    tree = factories.create_tree(session)
    session.commit()
    assert units.resolve_unit(session, actor=SYSTEM, ref=ref).id == tree.district.id


def test_resolve_unit_refuses_an_ambiguous_or_unknown_name(session):
    tree = factories.create_tree(session)
    twin = factories.create_unit(session, parent=tree.commune2, tier="village", kind="Thôn", short="Phú Mỹ")
    session.commit()
    with pytest.raises(UserError) as ambiguous:
        units.resolve_unit(session, actor=SYSTEM, ref="Thôn Phú Mỹ")
    assert tree.commune.name in ambiguous.value.message and tree.commune2.name in ambiguous.value.message
    assert twin.id != tree.villages[0].id
    with pytest.raises(NotFound):
        units.resolve_unit(session, actor=SYSTEM, ref="Huyện Không Có")


def test_resolve_unit_respects_scope(session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district2)
    session.commit()
    with pytest.raises(PermissionDenied):
        units.resolve_unit(session, actor=officer, ref="Huyện Phú Ninh")
    assert units.resolve_unit(session, actor=officer, ref="Xã Tam Xuân").id == tree.commune2.id


def test_breadcrumb_starts_at_the_actor_root(session):
    tree = factories.create_tree(session)
    officer = factories.officer_of(session, tree.district)
    session.commit()
    chain = units.fetch_ancestors(session, actor=officer, unit_id=tree.villages[0].id)
    assert [u.id for u in chain] == [tree.district.id, tree.commune.id, tree.villages[0].id]
    full = units.fetch_ancestors(session, actor=SYSTEM, unit_id=tree.villages[0].id)
    assert [u.id for u in full] == [tree.province.id, tree.district.id, tree.commune.id, tree.villages[0].id]
