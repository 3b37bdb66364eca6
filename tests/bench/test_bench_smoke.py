"""The benchmark at 1% scale, as CI runs it: the dashboard's answers equal DuckDB's on the raw rows.

No timing is asserted here; `make bench` measures. SQLite only: the bulk loader's PostgreSQL path
(COPY) is exercised by `make bench`.
"""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import db.engine
from bench import reference as ref
from db.engine import SessionLocal
from db.migrate import upgrade
from seed.national import load_national
from tests.faults.checks import assert_counts_check_passes

VILLAGES, ACTIVITIES = 1_000, 100_000  # 1% of the national dataset


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A 1% national dataset in a temporary SQLite file, bound to the app's session factory."""
    path: Path = tmp_path_factory.mktemp("bench") / "national.sqlite3"
    engine = db.engine.configure(f"sqlite:///{path}")
    upgrade(engine)
    messages: list[str] = []
    counts = load_national(engine, villages=VILLAGES, activities=ACTIVITIES, seed=42, progress=messages.append)
    assert counts.villages == VILLAGES and counts.activities == ACTIVITIES
    assert any("báo cáo" in m for m in messages), "progress is printed in Vietnamese"
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def duck(national: Engine):  # noqa: ANN201 - a DuckDB connection
    con = ref.copy_to_duckdb(national)
    yield con
    con.close()


def _province(national: Engine) -> int:
    """The province with the most villages."""
    with national.connect() as conn:
        return conn.execute(text(
            "SELECT p.ancestor_id FROM unit_paths p JOIN units a ON a.id = p.ancestor_id "
            "JOIN units v ON v.id = p.descendant_id WHERE a.tier = 'province' AND v.tier = 'village' "
            "GROUP BY p.ancestor_id ORDER BY count(*) DESC, p.ancestor_id LIMIT 1")).scalar_one()


def test_dataset_shape(national: Engine, duck) -> None:  # noqa: ANN001
    """About 0.9 teams and 5 members per team; every report has its team's commune; skewed districts."""
    q = lambda sql: duck.execute(sql).fetchone()  # noqa: E731
    teams, members = q("SELECT count(*) FROM teams")[0], q("SELECT count(*) FROM members")[0]
    assert 0.8 * VILLAGES <= teams <= 1.05 * VILLAGES
    assert 4.5 <= members / teams <= 5.6
    commune_teams = q("SELECT count(*) FROM teams t JOIN units u ON u.id = t.unit_id WHERE u.tier = 'commune'")[0]
    assert commune_teams > 0
    # Every report carries the commune of its team's unit (the unit itself for a commune team).
    wrong = q("""SELECT count(*) FROM activities a JOIN teams t ON t.id = a.team_id JOIN units u ON u.id = t.unit_id
                 WHERE a.commune_id <> CASE WHEN u.tier = 'commune' THEN u.id ELSE u.parent_id END""")[0]
    assert wrong == 0
    assert q("SELECT count(*) FROM activities WHERE commune_id IS NULL")[0] == 0
    # Reports fall inside their team's life and the 36 months up to today.
    outside = q("""SELECT count(*) FROM activities a JOIN teams t ON t.id = a.team_id
                   WHERE a.activity_date < t.established_on OR (t.closed_on IS NOT NULL AND a.activity_date >= t.closed_on)
                      OR a.activity_date > current_date""")[0]
    assert outside == 0
    # Skew: some districts with villages are far behind, many are fully covered; some teams are silent.
    per_district = duck.execute("""
        SELECT p.ancestor_id, avg(CASE WHEN EXISTS (SELECT 1 FROM teams t WHERE t.unit_id = v.id AND t.closed_on IS NULL)
                                  THEN 1 ELSE 0 END) AS coverage, count(*) AS n
        FROM units v JOIN unit_paths p ON p.descendant_id = v.id JOIN units d ON d.id = p.ancestor_id
        WHERE v.tier = 'village' AND d.tier = 'district' GROUP BY p.ancestor_id HAVING count(*) >= 2""").fetchall()
    assert any(c < 0.6 for _, c, _ in per_district) and any(c == 1.0 for _, c, _ in per_district)
    silent = q("""SELECT count(*) FROM teams t WHERE t.closed_on IS NULL AND NOT EXISTS (
                  SELECT 1 FROM activities a WHERE a.team_id = t.id AND a.activity_date > current_date - 30)""")[0]
    assert 0.05 * teams < silent < 0.5 * teams


def test_closure_rows_of_new_villages(duck) -> None:  # noqa: ANN001
    """Each village: itself, its commune, district and province in unit_paths, at depths 0 to 3."""
    rows = duck.execute("""
        SELECT v.id, list(p.depth ORDER BY p.depth), list(a.tier ORDER BY p.depth), count(*)
        FROM units v JOIN unit_paths p ON p.descendant_id = v.id JOIN units a ON a.id = p.ancestor_id
        WHERE v.tier = 'village' GROUP BY v.id""").fetchall()
    assert len(rows) == VILLAGES
    assert all(r[1] == [0, 1, 2, 3] and r[2] == ["village", "commune", "district", "province"] for r in rows)
    parents = duck.execute("""SELECT count(*) FROM units v JOIN unit_paths p ON p.descendant_id = v.id AND p.depth = 1
                              WHERE v.tier = 'village' AND p.ancestor_id <> v.parent_id""").fetchone()[0]
    assert parents == 0


def test_rollups_equal_a_recount(national: Engine, duck) -> None:  # noqa: ANN001
    """The commune × month × type rollups equal the raw reports regrouped by DuckDB."""
    recount = duck.execute("""
        SELECT commune_id, CAST(date_trunc('month', activity_date) AS DATE), activity_type, count(*),
               sum(people_reached), sum(households_reached), sum(results)
        FROM activities GROUP BY ALL ORDER BY ALL""").fetchall()
    with national.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT commune_id, month, activity_type, reports, people_reached, households_reached, results "
            "FROM activity_rollups ORDER BY commune_id, month, activity_type").fetchall()
    assert [(r[0], date.fromisoformat(r[1]), *r[2:]) for r in stored] == [tuple(r) for r in recount]


def test_counts_check_finds_no_difference_after_the_national_build(national: Engine) -> None:
    """`python -m db counts check` on the 1% national dataset: all four kept tables equal a full recount."""
    assert_counts_check_passes(national)


def test_dashboard_aggregations_equal_duckdb_and_pandas(national: Engine, duck) -> None:  # noqa: ANN001
    """Indicators, coverage by child and activity by month, national and province: three equal answers."""
    frames = ref.load_frames(national)
    with SessionLocal() as session:
        for case in ref.cases(province_id=_province(national), as_of=date.today()):
            dashboard = ref.dashboard_answer(session, case)
            assert dashboard == ref.duckdb_answer(duck, case), case.label
            assert dashboard == ref.pandas_answer(frames, case), case.label
            assert dashboard, case.label  # not trivially empty


def test_same_seed_same_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """`python -m seed national` is deterministic from its seed and prints its progress in Vietnamese."""
    from seed.__main__ import main

    digests = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.sqlite3"
        monkeypatch.setenv("DATABASE_URL", url)
        engine = db.engine.configure(url)
        assert main(["national", "--villages", "300", "--activities", "3000", "--seed", "7"]) == 0
        with engine.connect() as conn:
            digests.append([
                conn.exec_driver_sql(sql).fetchall() for sql in (
                    "SELECT id, parent_id, name FROM units WHERE tier = 'village' ORDER BY id",
                    "SELECT id, unit_id, name, established_on, closed_on FROM teams ORDER BY id",
                    "SELECT id, team_id, full_name, phone, role, joined_on, left_on FROM members ORDER BY id",
                    "SELECT id, team_id, activity_date, activity_type, people_reached, results FROM activities ORDER BY id",
                )
            ])
        engine.dispose()
    assert digests[0] == digests[1]
    out = capsys.readouterr().out
    assert "Đang tạo bộ dữ liệu cả nước: 300 thôn, 3.000 báo cáo" in out and "Xong sau" in out
