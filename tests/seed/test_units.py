"""The official units from `vietnamadminunits`: every province, district and commune once, a consistent closure.

Loading ten thousand communes takes seconds, so each backend loads once per module (legacy, then the
2025 structure beside it) and the tests read that database; the few that write roll back.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased, join
from vietnamadminunits.database import get_data

from db import coverage, units
from db.auth import SYSTEM
from db.engine import make_engine
from db.models import Unit, UnitPath
from db.text import fold
from report import charts
from seed.units import TABLES, load_units
from tests.conftest import BACKENDS, fresh_database
from tests.factories import count_rows


@dataclass
class Loaded:
    """The module's database and what each load_units call returned."""

    engine: Engine
    added: dict[str, int]
    added_again: dict[str, int]


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """A fresh database with both structures loaded, each twice."""
    tmp: Path = tmp_path_factory.mktemp("units")
    with fresh_database(request.param, request, tmp) as url:
        engine = make_engine(url)
        added, again = {}, {}
        with Session(engine) as session:
            for structure in ("legacy", "2025"):
                added[structure] = load_units(session, structure=structure, progress=lambda _: None)
                session.commit()
            for structure in ("legacy", "2025"):
                again[structure] = load_units(session, structure=structure, progress=lambda _: None)
                session.commit()
        yield Loaded(engine, added, again)
        engine.dispose()


def _package(structure: str) -> list[dict]:
    return get_data(table=TABLES[structure])


def _tier_counts(session: Session, structure: str) -> dict[str, int]:
    rows = session.execute(select(Unit.tier, func.count()).where(Unit.structure == structure).group_by(Unit.tier)).all()
    return dict(rows)


def test_legacy_structure_has_every_official_unit_once(loaded):
    rows = _package("legacy")
    expected = {
        "province": len({r["provinceCode"] for r in rows}),
        "district": len({r["districtCode"] for r in rows}),
        "commune": len({r["wardCode"] for r in rows if r["wardCode"]}),
    }
    with Session(loaded.engine) as session:
        assert _tier_counts(session, "legacy") == expected
        assert loaded.added["legacy"] == sum(expected.values())
        # Each commune under its district, each district under its province, names as published.
        commune, district = aliased(Unit), aliased(Unit)
        got = set(session.execute(
            select(commune.code, commune.name, district.code)
            .join(district, district.id == commune.parent_id)
            .where(commune.structure == "legacy", commune.tier == "commune")).all())
        assert got == {(r["wardCode"], r["ward"], r["districtCode"]) for r in rows if r["wardCode"]}
        got = set(session.execute(
            select(district.code, district.name, Unit.code)
            .join(Unit, Unit.id == district.parent_id)
            .where(district.structure == "legacy", district.tier == "district")).all())
        assert got == {(r["districtCode"], r["district"], r["provinceCode"]) for r in rows}
        levels = dict(session.execute(
            select(Unit.tier, func.max(Unit.level)).where(Unit.structure == "legacy").group_by(Unit.tier)).all())
        assert levels == {"province": 1, "district": 2, "commune": 3}


def test_search_names_are_the_folded_names(loaded):
    with Session(loaded.engine) as session:
        pairs = session.execute(select(Unit.name, Unit.search_name)).all()
    assert pairs and all(search == fold(name) for name, search in pairs)


def test_legacy_closure_table_is_consistent(loaded):
    with Session(loaded.engine) as session:
        counts = _tier_counts(session, "legacy")
        # One row per (ancestor, descendant) pair: a commune has itself, its district and its province.
        paths = count_rows(session, join(UnitPath, Unit, Unit.id == UnitPath.descendant_id), Unit.structure == "legacy")
        assert paths == counts["province"] + 2 * counts["district"] + 3 * counts["commune"]
        by_depth = dict(session.execute(
            select(UnitPath.depth, func.count())
            .join(Unit, Unit.id == UnitPath.descendant_id)
            .where(Unit.structure == "legacy", Unit.tier == "commune")
            .group_by(UnitPath.depth)).all())
        assert by_depth == {0: counts["commune"], 1: counts["commune"], 2: counts["commune"]}
        # Depth 0 is the unit itself, depth 1 its parent, depth 2 its grandparent.
        parent = aliased(Unit)
        wrong = count_rows(
            session,
            join(UnitPath, Unit, Unit.id == UnitPath.descendant_id).outerjoin(parent, parent.id == Unit.parent_id),
            Unit.structure == "legacy",
            ((UnitPath.depth == 0) & (UnitPath.ancestor_id != Unit.id))
            | ((UnitPath.depth == 1) & (UnitPath.ancestor_id != Unit.parent_id))
            | ((UnitPath.depth == 2) & (UnitPath.ancestor_id != parent.parent_id))
            | (UnitPath.depth > 2),
        )
        assert wrong == 0


def test_a_second_load_adds_nothing(loaded):
    assert loaded.added_again == {"legacy": 0, "2025": 0}
    with Session(loaded.engine) as session:
        assert count_rows(session, Unit) == sum(loaded.added.values())


def test_2025_structure_has_provinces_and_communes_only(loaded):
    rows = _package("2025")
    with Session(loaded.engine) as session:
        assert _tier_counts(session, "2025") == {
            "province": len({r["provinceCode"] for r in rows}),
            "commune": len({r["wardCode"] for r in rows if r["wardCode"]}),
        }
        commune, province = aliased(Unit), aliased(Unit)
        got = set(session.execute(
            select(commune.code, commune.level, province.code, province.tier, province.structure)
            .join(province, province.id == commune.parent_id)
            .where(commune.structure == "2025", commune.tier == "commune")).all())
        assert got == {(r["wardCode"], 2, r["provinceCode"], "province", "2025") for r in rows if r["wardCode"]}
        paths = count_rows(session, join(UnitPath, Unit, Unit.id == UnitPath.descendant_id),
                           Unit.structure == "2025", Unit.tier == "commune")
        assert paths == 2 * len({r["wardCode"] for r in rows if r["wardCode"]})


def test_villages_can_be_added_after_a_load(loaded):
    """load_units assigns ids itself; on PostgreSQL the id sequence must have moved past them."""
    with Session(loaded.engine) as session:
        commune = session.scalars(
            select(Unit).where(Unit.structure == "legacy", Unit.tier == "commune").order_by(Unit.id.desc()).limit(1)).one()
        village = units.create_village(session, actor=SYSTEM, commune_id=commune.id, kind="Thôn", name="Thử Nghiệm")
        session.flush()
        assert village.id > commune.id
        ancestors = count_rows(session, UnitPath, UnitPath.descendant_id == village.id)
        assert ancestors == 4
        session.rollback()


# ---- the map: the archipelagos and the island communes at their real positions (issue 12) ----------------

HOANG_SA = (15.7, 17.2, 111.1, 112.8)  # south, north, west, east
TRUONG_SA = (8.0, 11.6, 111.5, 117.0)


def _inside(row: dict, box: tuple[float, float, float, float]) -> bool:
    south, north, west, east = box
    return south <= row["lat"] <= north and west <= row["lon"] <= east


def _rows(chart) -> list[dict]:  # noqa: ANN001 - an Altair chart
    """Every row of every dataset the chart sends to the browser."""
    return [row for rows in chart.to_dict()["datasets"].values() for row in rows]


def _unit_id(session: Session, tier: str, code: str) -> int:
    return session.scalars(select(Unit.id).where(Unit.structure == "legacy", Unit.tier == tier, Unit.code == code)).one()


def test_the_national_map_carries_both_archipelagos_labelled_at_their_real_positions(loaded):
    with Session(loaded.engine) as session:
        points = coverage.fetch_district_points(session, actor=SYSTEM, unit_id=None)
        isles = coverage.fetch_archipelagos(session, actor=SYSTEM, unit_id=None)
    rows = _rows(charts.build_map_chart(points, archipelagos=isles, title="Bản đồ", place="Huyện"))
    for label, box in (("Quần đảo Hoàng Sa (TP. Đà Nẵng)", HOANG_SA), ("Quần đảo Trường Sa (Khánh Hòa)", TRUONG_SA)):
        marked = [r for r in rows if r.get("label") == label]
        assert marked and all(_inside(r, box) for r in marked), label
    # The districts themselves: Huyện Hoàng Sa (no commune) at its archipelago, Huyện Trường Sa at sea.
    districts = {r["name"]: r for r in rows if r.get("parent") in ("Thành phố Đà Nẵng", "Tỉnh Khánh Hòa")}
    assert _inside(districts["Huyện Hoàng Sa"], HOANG_SA)
    assert _inside(districts["Huyện Trường Sa"], TRUONG_SA)
    # With hundreds of districts, names go on the provinces.
    assert {"Tỉnh Khánh Hòa", "Thành phố Đà Nẵng"} <= {r["name"] for r in rows if "band" not in r and "label" not in r}


def test_no_commune_of_huyen_truong_sa_is_on_the_mainland(loaded):
    with Session(loaded.engine) as session:
        district = _unit_id(session, "district", "576")
        points = coverage.fetch_commune_points(session, actor=SYSTEM, unit_id=district)
        province = coverage.fetch_commune_points(session, actor=SYSTEM, unit_id=_unit_id(session, "province", "56"))
    assert sorted(points["name"]) == ["Thị trấn Trường Sa", "Xã Sinh Tồn", "Xã Song Tử Tây"]
    for frame in (points, province[province["parent"] == "Huyện Trường Sa"]):
        assert len(frame) == 3
        assert all(_inside(r, TRUONG_SA) and r["lon"] >= 110 for r in frame.to_dict("records"))


def test_district_and_commune_maps_name_their_points(loaded):
    with Session(loaded.engine) as session:
        district = _unit_id(session, "district", "576")
        song_tu_tay = _unit_id(session, "commune", "22737")
        by_district = coverage.fetch_commune_points(session, actor=SYSTEM, unit_id=district)
        by_commune = coverage.fetch_commune_points(session, actor=SYSTEM, unit_id=song_tu_tay, neighbours=True)
        isles = coverage.fetch_archipelagos(session, actor=SYSTEM, unit_id=song_tu_tay)
        mainland = coverage.fetch_archipelagos(session, actor=SYSTEM, unit_id=_unit_id(session, "district", "568"))
    names = {r["name"] for r in _rows(charts.build_map_chart(by_district)) if "band" not in r}
    assert names == set(by_district["name"])  # three points: each named
    # A commune is drawn among its district's communes, itself outlined and named in bold.
    assert set(by_commune["name"]) == set(by_district["name"])
    assert by_commune.loc[by_commune["focus"], "unit_id"].tolist() == [song_tu_tay]
    spec = charts.build_map_chart(by_commune, archipelagos=isles).to_dict()
    bold = [layer for layer in spec["layer"] if layer["mark"].get("fontWeight") == "bold"]
    assert [r["name"] for r in spec["datasets"][bold[0]["data"]["name"]]] == ["Xã Song Tử Tây"]
    assert list(isles["label"]) == ["Quần đảo Trường Sa (Khánh Hòa)"]
    assert mainland.empty  # a mainland district of Khánh Hòa (Thành phố Nha Trang) keeps its own frame


def test_a_database_loaded_before_the_fix_gets_the_real_positions_on_the_next_load(loaded):
    with Session(loaded.engine) as session:
        sinh_ton = session.get(Unit, _unit_id(session, "commune", "22739"))
        sinh_ton.lat, sinh_ton.lon = 12.209887, 109.092876  # where the package put it
        session.flush()
        said: list[str] = []
        assert load_units(session, structure="legacy", progress=said.append) == 0
        assert (sinh_ton.lat, sinh_ton.lon) == (9.88, 114.33)
        assert any("sửa tọa độ của 1 đơn vị" in line for line in said)
        session.rollback()
