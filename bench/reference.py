"""The dashboard's aggregations, computed three ways from the same database, for the benchmark and CI.

1. the dashboard itself (`db.coverage`, `db.activities`: rollups, indexes, SQL aggregates);
2. DuckDB on the raw rows, copied once (untimed) into an in-memory DuckDB: what a columnar engine
   does with every raw row at hand;
3. naive pandas: load the raw rows with `pd.read_sql`, then filter, join and group in pandas.

Each answer is normalised to plain Python values, so the three can be compared with `==`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db import activities, coverage
from db.auth import SYSTEM
from db.counts import REPORT_WINDOW_DAYS

COVERAGE_KEYS = ["unit_id", "villages", "covered", "communes", "communes_with_team", "teams", "members"]
MONTH_KEYS = ["month", "activity_type", "reports", "people_reached", "households_reached", "results"]
INDICATOR_KEYS = ["villages", "villages_covered", "communes", "communes_with_team", "teams", "members",
                  "activities", "people_reached", "active_teams", "reporting_teams"]

# The raw tables and the columns the aggregations need; dates are cast to DATE in DuckDB.
RAW_TABLES: dict[str, tuple[list[str], set[str]]] = {
    "units": (["id", "parent_id", "tier", "name"], set()),
    "unit_paths": (["ancestor_id", "descendant_id", "depth"], set()),
    "teams": (["id", "unit_id", "established_on", "closed_on"], {"established_on", "closed_on"}),
    "members": (["id", "team_id", "joined_on", "left_on"], {"joined_on", "left_on"}),
    "activities": (["id", "team_id", "commune_id", "activity_date", "activity_type", "people_reached",
                    "households_reached", "results"], {"activity_date"}),
}


@dataclass(frozen=True)
class Case:
    """One aggregation at one scope: the function, the unit (None: the whole country), its arguments."""

    name: str
    scope: str
    unit_id: int | None
    as_of: date

    @property
    def label(self) -> str:
        """Readable name for tables: "fetch_indicators (tỉnh)"."""
        return f"{self.name} ({self.scope})"


def month_window(as_of: date) -> tuple[date, date]:
    """The 12 months up to `as_of`, as the Hoạt động page charts them."""
    start = (as_of.replace(day=1) - timedelta(days=365)).replace(day=1)
    return start, as_of


def cases(*, province_id: int, as_of: date) -> list[Case]:
    """The aggregations the dashboards show, at national and at province scope."""
    out = []
    for scope, unit_id in (("cả nước", None), ("tỉnh", province_id)):
        for name in ("fetch_indicators", "fetch_coverage_by_child", "fetch_unit_activity_by_month"):
            out.append(Case(name, scope, unit_id, as_of))
    return out


# ---- 1. the dashboard ---------------------------------------------------------------------------


def dashboard_answer(session: Session, case: Case) -> Any:
    """Run the dashboard's own read function and normalise its answer."""
    if case.name == "fetch_indicators":
        ind = coverage.fetch_indicators(session, actor=SYSTEM, unit_id=case.unit_id, as_of=case.as_of)
        return _indicators_dict(ind)
    if case.name == "fetch_coverage_by_child":
        df = coverage.fetch_coverage_by_child(session, actor=SYSTEM, unit_id=case.unit_id, as_of=case.as_of)
        return _rows(df, COVERAGE_KEYS)
    start, end = month_window(case.as_of)
    df = activities.fetch_unit_activity_by_month(session, actor=SYSTEM, unit_id=case.unit_id, start=start, end=end)
    return _rows(df, MONTH_KEYS)


def _indicators_dict(ind: coverage.Indicators) -> dict[str, Any]:
    """The indicator counts; the reporting rate as the exact pair it is computed from."""
    return {
        "villages": ind.villages,
        "villages_covered": ind.villages_covered,
        "communes": ind.communes,
        "communes_with_team": ind.communes_with_team,
        "teams": ind.teams,
        "members": ind.members,
        "activities": ind.activities,
        "people_reached": ind.people_reached,
        "silent_teams": ind.silent_teams,
        "active_team_rate": round(ind.active_team_rate, 12),
    }


def _from_counts(c: dict[str, int]) -> dict[str, Any]:
    """The same dict from raw counts (active and reporting teams)."""
    rate = c["reporting_teams"] / c["active_teams"] if c["active_teams"] else 0.0
    return {
        "villages": c["villages"],
        "villages_covered": c["villages_covered"],
        "communes": c["communes"],
        "communes_with_team": c["communes_with_team"],
        "teams": c["teams"],
        "members": c["members"],
        "activities": c["activities"],
        "people_reached": c["people_reached"],
        "silent_teams": c["active_teams"] - c["reporting_teams"],
        "active_team_rate": round(rate, 12),
    }


def _rows(df: pd.DataFrame, keys: list[str]) -> list[tuple]:
    """A frame's key columns as sorted tuples of plain Python values."""
    out = []
    for row in df[keys].itertuples(index=False):
        out.append(tuple(_plain(v) for v in row))
    return sorted(out)


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---- 2. DuckDB on the raw rows ------------------------------------------------------------------


def copy_to_duckdb(engine: Engine, *, chunk: int = 500_000) -> duckdb.DuckDBPyConnection:
    """Copy the raw tables into an in-memory DuckDB (no extension needed: rows go through pandas)."""
    con = duckdb.connect(":memory:")
    with engine.connect() as conn:
        for table, (cols, dates) in RAW_TABLES.items():
            select_list = ", ".join(f"CAST({c} AS DATE) AS {c}" if c in dates else c for c in cols)
            result = conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM {table}")
            created = False
            while True:
                rows = result.fetchmany(chunk)
                if not rows and created:
                    break
                frame = pd.DataFrame([tuple(r) for r in rows], columns=cols)
                for c in cols:
                    if c in dates or c in ("tier", "name", "activity_type"):
                        frame[c] = frame[c].astype("string")
                    else:
                        frame[c] = pd.array(frame[c], dtype="Int64")
                con.register("chunk", frame)
                if not created:
                    con.execute(f"CREATE TABLE {table} AS SELECT {select_list} FROM chunk")
                    created = True
                else:
                    con.execute(f"INSERT INTO {table} SELECT {select_list} FROM chunk")
                con.unregister("chunk")
                if not rows:
                    break
    return con


def _d(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _scope_sql(unit_id: int | None, column: str) -> str:
    """A condition keeping rows whose `column` lies in the unit's subtree (true for the whole country)."""
    if unit_id is None:
        return "TRUE"
    return f"{column} IN (SELECT descendant_id FROM unit_paths WHERE ancestor_id = {int(unit_id)})"


def _active_team_sql(alias: str, as_of: date) -> str:
    return f"{alias}.established_on <= {_d(as_of)} AND ({alias}.closed_on IS NULL OR {alias}.closed_on > {_d(as_of)})"


def _active_member_sql(alias: str, as_of: date) -> str:
    return f"{alias}.joined_on <= {_d(as_of)} AND ({alias}.left_on IS NULL OR {alias}.left_on > {_d(as_of)})"


def duckdb_answer(con: duckdb.DuckDBPyConnection, case: Case) -> Any:
    """The same answer as the dashboard's, computed by DuckDB from the raw rows."""
    as_of = case.as_of
    if case.name == "fetch_indicators":
        since = as_of - timedelta(days=REPORT_WINDOW_DAYS - 1)
        scope_units = _scope_sql(case.unit_id, "u.id")
        sql = f"""
        WITH covered AS (SELECT DISTINCT unit_id FROM teams t WHERE {_active_team_sql('t', as_of)}),
        cov AS (
            SELECT count(*) FILTER (WHERE u.tier = 'village') AS villages,
                   count(*) FILTER (WHERE u.tier = 'village' AND c.unit_id IS NOT NULL) AS villages_covered,
                   count(*) FILTER (WHERE u.tier = 'commune') AS communes,
                   count(*) FILTER (WHERE u.tier = 'commune' AND c.unit_id IS NOT NULL) AS communes_with_team
            FROM units u LEFT JOIN covered c ON c.unit_id = u.id
            WHERE u.tier IN ('village', 'commune') AND {scope_units}
        ),
        act_teams AS (SELECT t.id FROM teams t WHERE {_active_team_sql('t', as_of)} AND {_scope_sql(case.unit_id, 't.unit_id')}),
        tm AS (SELECT count(*) AS teams FROM act_teams),
        mm AS (SELECT count(*) AS members FROM members m JOIN act_teams a ON a.id = m.team_id
               WHERE {_active_member_sql('m', as_of)}),
        ac AS (SELECT count(*) AS activities, coalesce(sum(people_reached), 0) AS people_reached FROM activities
               WHERE activity_date <= {_d(as_of)} AND {_scope_sql(case.unit_id, 'commune_id')}),
        rep AS (SELECT count(DISTINCT team_id) AS reporting_teams FROM activities
                WHERE activity_date BETWEEN {_d(since)} AND {_d(as_of)} AND team_id IN (SELECT id FROM act_teams))
        SELECT villages, villages_covered, communes, communes_with_team, teams, members, activities,
               people_reached, teams AS active_teams, reporting_teams
        FROM cov, tm, mm, ac, rep
        """
        row = con.execute(sql).fetchone()
        return _from_counts({k: int(v) for k, v in zip(INDICATOR_KEYS, row, strict=True)})
    if case.name == "fetch_coverage_by_child":
        grp = f"parent_id = {int(case.unit_id)}" if case.unit_id is not None else "parent_id IS NULL"
        sql = f"""
        WITH grp AS (SELECT id FROM units WHERE {grp}),
        covered AS (SELECT DISTINCT unit_id FROM teams t WHERE {_active_team_sql('t', as_of)}),
        d AS (SELECT p.ancestor_id AS g, u.id, u.tier FROM unit_paths p JOIN units u ON u.id = p.descendant_id
              WHERE p.ancestor_id IN (SELECT id FROM grp) AND u.tier IN ('village', 'commune')),
        cov AS (SELECT g, count(*) FILTER (WHERE tier = 'village') AS villages,
                       count(*) FILTER (WHERE tier = 'village' AND c.unit_id IS NOT NULL) AS covered,
                       count(*) FILTER (WHERE tier = 'commune') AS communes,
                       count(*) FILTER (WHERE tier = 'commune' AND c.unit_id IS NOT NULL) AS communes_with_team
                FROM d LEFT JOIN covered c ON c.unit_id = d.id GROUP BY g),
        actt AS (SELECT p.ancestor_id AS g, t.id FROM unit_paths p JOIN teams t ON t.unit_id = p.descendant_id
               WHERE p.ancestor_id IN (SELECT id FROM grp) AND {_active_team_sql('t', as_of)}),
        tm AS (SELECT g, count(*) AS teams FROM actt GROUP BY g),
        mm AS (SELECT actt.g, count(*) AS members FROM actt JOIN members m ON m.team_id = actt.id
               WHERE {_active_member_sql('m', as_of)} GROUP BY actt.g)
        SELECT grp.id, coalesce(cov.villages, 0), coalesce(cov.covered, 0), coalesce(cov.communes, 0),
               coalesce(cov.communes_with_team, 0), coalesce(tm.teams, 0), coalesce(mm.members, 0)
        FROM grp LEFT JOIN cov ON cov.g = grp.id LEFT JOIN tm ON tm.g = grp.id LEFT JOIN mm ON mm.g = grp.id
        """
        return sorted(tuple(int(v) for v in row) for row in con.execute(sql).fetchall())
    start, end = month_window(as_of)
    sql = f"""
    SELECT CAST(date_trunc('month', activity_date) AS DATE) AS month, activity_type, count(*),
           sum(people_reached), sum(households_reached), sum(results)
    FROM activities
    WHERE activity_date BETWEEN {_d(start)} AND {_d(end)}
      AND {_scope_sql(case.unit_id, 'commune_id')}
    GROUP BY ALL
    """
    return sorted((r[0], r[1], *(int(v) for v in r[2:])) for r in con.execute(sql).fetchall())


# ---- 3. naive pandas: load the raw rows, then group -----------------------------------------------


def load_frames(engine: Engine, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read the raw tables with pd.read_sql, as a first dashboard prototype would."""
    frames = {}
    for table in tables or list(RAW_TABLES):
        cols, dates = RAW_TABLES[table]
        df = pd.read_sql(f"SELECT {', '.join(cols)} FROM {table}", engine)
        for c in dates:
            df[c] = pd.to_datetime(df[c])
        frames[table] = df
    return frames


TABLES_NEEDED = {
    "fetch_indicators": ["units", "unit_paths", "teams", "members", "activities"],
    "fetch_coverage_by_child": ["units", "unit_paths", "teams", "members"],
    "fetch_unit_activity_by_month": ["unit_paths", "activities"],
}


def _subtree(f: dict[str, pd.DataFrame], unit_id: int | None) -> pd.Series | None:
    if unit_id is None:
        return None
    paths = f["unit_paths"]
    return paths.loc[paths["ancestor_id"] == unit_id, "descendant_id"]


def _active_teams(f: dict[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    t = f["teams"]
    day = pd.Timestamp(as_of)
    return t[(t["established_on"] <= day) & (t["closed_on"].isna() | (t["closed_on"] > day))]


def _active_members(f: dict[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    m = f["members"]
    day = pd.Timestamp(as_of)
    return m[(m["joined_on"] <= day) & (m["left_on"].isna() | (m["left_on"] > day))]


def pandas_answer(f: dict[str, pd.DataFrame], case: Case) -> Any:
    """The same answer computed in pandas from fully loaded raw tables."""
    as_of = case.as_of
    day = pd.Timestamp(as_of)
    if case.name == "fetch_indicators":
        sub = _subtree(f, case.unit_id)
        units = f["units"]
        units = units[units["tier"].isin(["village", "commune"])]
        if sub is not None:
            units = units[units["id"].isin(sub)]
        teams = _active_teams(f, as_of)
        has_team = units["id"].isin(teams["unit_id"])
        if sub is not None:
            teams = teams[teams["unit_id"].isin(sub)]
        members = _active_members(f, as_of)
        members = members[members["team_id"].isin(teams["id"])]
        acts = f["activities"]
        in_scope = acts["activity_date"] <= day
        if sub is not None:
            in_scope &= acts["commune_id"].isin(sub)
        since = pd.Timestamp(as_of - timedelta(days=REPORT_WINDOW_DAYS - 1))
        window = acts[(acts["activity_date"] >= since) & (acts["activity_date"] <= day)]
        reporting = teams["id"].isin(window["team_id"]).sum()
        village = units["tier"] == "village"
        commune = units["tier"] == "commune"
        return _from_counts({
            "villages": int(village.sum()), "villages_covered": int((village & has_team).sum()),
            "communes": int(commune.sum()), "communes_with_team": int((commune & has_team).sum()),
            "teams": len(teams), "members": len(members), "activities": int(in_scope.sum()),
            "people_reached": int(acts.loc[in_scope, "people_reached"].sum()),
            "active_teams": len(teams), "reporting_teams": int(reporting),
        })
    if case.name == "fetch_coverage_by_child":
        units = f["units"]
        grp = units[units["parent_id"] == case.unit_id] if case.unit_id is not None else units[units["parent_id"].isna()]
        paths = f["unit_paths"][f["unit_paths"]["ancestor_id"].isin(grp["id"])]
        d = paths.merge(units[["id", "tier"]], left_on="descendant_id", right_on="id")
        d = d[d["tier"].isin(["village", "commune"])]
        teams = _active_teams(f, as_of)
        d = d.assign(has=d["descendant_id"].isin(teams["unit_id"]))
        d = d.assign(v=d["tier"] == "village", c=d["tier"] == "commune")
        cov = d.assign(vc=d["v"] & d["has"], cc=d["c"] & d["has"]).groupby("ancestor_id")[["v", "vc", "c", "cc"]].sum()
        at = paths.merge(teams[["id", "unit_id"]], left_on="descendant_id", right_on="unit_id")
        tm = at.groupby("ancestor_id").size()
        mm = at.merge(_active_members(f, as_of)[["team_id"]], left_on="id", right_on="team_id").groupby("ancestor_id").size()
        out = []
        for gid in grp["id"]:
            c = cov.loc[gid] if gid in cov.index else None
            out.append((int(gid), *(int(c[k]) if c is not None else 0 for k in ("v", "vc", "c", "cc")),
                        int(tm.get(gid, 0)), int(mm.get(gid, 0))))
        return sorted(out)
    start, end = month_window(as_of)
    acts = f["activities"]
    month = acts["activity_date"].dt.to_period("M").dt.to_timestamp()
    keep = (acts["activity_date"] >= pd.Timestamp(start)) & (acts["activity_date"] <= pd.Timestamp(end))
    sub = _subtree(f, case.unit_id)
    if sub is not None:
        keep &= acts["commune_id"].isin(sub)
    picked = acts[keep].assign(month=month[keep])
    g = picked.groupby(["month", "activity_type"]).agg(
        reports=("id", "size"), people_reached=("people_reached", "sum"),
        households_reached=("households_reached", "sum"), results=("results", "sum"))
    return sorted((m.date(), t, *(int(v) for v in row)) for (m, t), row in zip(g.index, g.itertuples(index=False), strict=True))


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    """The answer and the median wall time of `repeat` calls, in seconds."""
    import statistics
    import time

    times, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = fn()
        times.append(time.perf_counter() - started)
    return answer, statistics.median(times)
