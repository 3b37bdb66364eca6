"""Both structures loaded together (`python -m seed units`): validity set only once both are there, and the official
legacy → 2025 commune mapping from the package's converter_2025.json, idempotent."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

import seed.units
from db.engine import make_engine
from db.models import Unit, UnitSuccession
from db.structures import LAST_LEGACY_DAY, REFORM_DAY
from seed.units import converter_mapping, load_both, official_rows
from tests.conftest import BACKENDS, fresh_database

# Huyện Phú Ninh (Quảng Nam) went wholly into three communes of Thành phố Đà Nẵng.
PHU_NINH = {
    "Xã Chiên Đàn": {"Thị trấn Phú Thịnh", "Xã Tam Đàn", "Xã Tam Thái"},
    "Xã Phú Ninh": {"Xã Tam Đại", "Xã Tam Dân", "Xã Tam Lãnh"},
    "Xã Tây Hồ": {"Xã Tam Thành", "Xã Tam An", "Xã Tam Lộc", "Xã Tam Phước"},
}


def only_phu_ninh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the loader see only Huyện Phú Ninh's communes and the three 2025 communes they went to."""
    real = official_rows

    def rows(structure: str) -> list[dict]:
        if structure == "legacy":
            return [r for r in real("legacy") if r["provinceKey"] == "tinhquangnam" and r["districtKey"] == "huyenphuninh"]
        return [r for r in real("2025") if r["provinceKey"] == "thanhphodanang"
                and r["wardKey"] in ("xachiendan", "xaphuninh", "xatayho")]

    monkeypatch.setattr(seed.units, "official_rows", rows)


def mapping_by_name(session: Session) -> dict[str, set[str]]:
    old, new = aliased(Unit), aliased(Unit)
    out: dict[str, set[str]] = {}
    for new_name, old_name in session.execute(
            select(new.name, old.name).join(UnitSuccession, UnitSuccession.new_id == new.id)
            .join(old, old.id == UnitSuccession.legacy_id)):
        out.setdefault(new_name, set()).add(old_name)
    return out


def test_phu_ninh_maps_to_chien_dan_phu_ninh_tay_ho(session, monkeypatch):
    only_phu_ninh(monkeypatch)
    messages: list[str] = []
    load_both(session, progress=messages.append)
    session.commit()
    assert mapping_by_name(session) == PHU_NINH
    assert not session.scalar(select(func.count()).select_from(UnitSuccession).where(UnitSuccession.divided.is_(True)))
    assert any("0 xã cũ không có xã mới tương ứng" in m for m in messages)
    assert load_both(session, progress=messages.append) == 0
    session.commit()
    assert session.scalar(select(func.count()).select_from(UnitSuccession)) == 10


def test_validity_waits_for_both_structures(session, monkeypatch):
    only_phu_ninh(monkeypatch)
    load_both(session, structures=("2025",), progress=lambda _: None)
    session.commit()
    assert set(session.execute(select(Unit.valid_from, Unit.valid_to)).all()) == {(None, None)}
    load_both(session, structures=("legacy",), progress=lambda _: None)  # legacy after 2025 sets it too
    session.commit()
    assert set(session.execute(select(Unit.structure, Unit.valid_from, Unit.valid_to)).all()) == {
        ("legacy", None, LAST_LEGACY_DAY), ("2025", REFORM_DAY, None)}
    assert session.scalar(select(func.count()).select_from(UnitSuccession)) == 10


@pytest.fixture(scope="module", params=BACKENDS)
def national(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Session, list[str]]]:
    """Every official unit of both structures, loaded twice."""
    tmp: Path = tmp_path_factory.mktemp("both")
    with fresh_database(request.param, request, tmp) as url:
        engine = make_engine(url)
        messages: list[str] = []
        with Session(engine) as session:
            load_both(session, progress=messages.append)
            session.commit()
            load_both(session, progress=messages.append)
            session.commit()
            yield session, messages
        engine.dispose()


def test_every_mapped_legacy_commune_has_one_default(national):
    session, _ = national
    rows = session.execute(select(UnitSuccession.legacy_id, UnitSuccession.is_default, UnitSuccession.divided)).all()
    by_old: dict[int, list[tuple[bool, bool]]] = {}
    for old, is_default, divided in rows:
        by_old.setdefault(old, []).append((is_default, divided))
    assert len(by_old) > 9_900
    assert all(any(d for d, _ in v) for v in by_old.values())
    assert all(all(div for _, div in v) for v in by_old.values() if len(v) > 1)


def test_the_load_reports_communes_without_successor_and_is_idempotent(national):
    session, messages = national
    orphans = session.scalar(select(func.count()).select_from(Unit).where(
        Unit.structure == "legacy", Unit.tier == "commune", Unit.id.not_in(select(UnitSuccession.legacy_id))))
    said = [m for m in messages if m.startswith("Bảng chuyển đổi")]
    assert len(said) == 2 and said[1].startswith("Bảng chuyển đổi xã cũ → xã mới: thêm 0 dòng")
    assert f"{orphans} xã cũ không có xã mới tương ứng" in said[0]
    diverged = sum(len(v) for v in converter_mapping()["DICT_PROVINCE_WARD_DIVIDED"].values())
    assert session.scalar(select(func.count(UnitSuccession.legacy_id.distinct())).where(UnitSuccession.divided)) == diverged


def test_validity_is_set_on_every_unit_of_both(national):
    session, _ = national
    rows = set(session.execute(select(Unit.structure, Unit.valid_from, Unit.valid_to).distinct()).all())
    assert rows == {("legacy", None, date(2025, 6, 30)), ("2025", date(2025, 7, 1), None)}
