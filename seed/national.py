"""The synthetic national dataset for benchmarks: villages, teams, members and reports at any size.

Built on the official provinces, districts and communes (legacy structure), deterministic from a
seed and the day it is built for. The skew follows what officers see: most districts cover (nearly)
every village, some lag and a few are far behind; some communes have a commune team; team activity
varies a lot, and some teams have fallen silent or stopped.

Speed: ten million reports must load in minutes, so the rows are generated column-wise with NumPy
and written through the raw DBAPI connection (SQLite: `executemany` in large batches with the
journal and fsync switched off for the load only; PostgreSQL: `COPY`), all in one transaction.
"""

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, aliased

from db import counts
from db.models import Team, Unit, UnitPath
from db.text import fold
from db.versions import bump_data_version
from seed.demo import ACTIVITY_VOLUMES, ACTIVITY_WEIGHTS, FAMILY, FEMALE, MALE, SUPPORT_ORGS
from seed.units import Progress, load_units

MONTHS = 36  # reports cover the 36 months up to today, the current month included
BATCH = 250_000  # rows per executemany / COPY chunk
VILLAGES_PER_TEAM_GOAL = 0.9  # about 0.9 teams per village, commune teams included
COMMUNE_TEAM_SHARE = 0.03  # commune teams, as a share of the villages asked for
SILENT_SHARE = 0.12  # teams whose last report is more than 30 days old
NEVER_REPORTED_SHARE = 0.03  # teams with no report at all
CLOSED_SHARE = 0.02  # village teams that stopped; half of them were replaced (kiện toàn)
# District progress: (share of districts, lowest and highest village coverage).
DISTRICT_PACE = {"far_behind": (0.08, 0.15, 0.5), "lagging": (0.2, 0.6, 0.88), "on_track": (0.72, 0.93, 1.0)}
# Provinces whose villages are mostly called "Ấp" (the south) or "Bản" (the north-western mountains).
AP_PROVINCES = {"70", "72", "74", "75", "77", "79", "80", "82", "83", "84", "86", "87", "89", "91", "92", "93", "94", "95", "96"}
BAN_PROVINCES = {"02", "04", "06", "08", "10", "11", "12", "14", "15"}


@dataclass(frozen=True)
class NationalCounts:
    """What a national load added (units are the official ones, loaded if missing)."""

    provinces: int
    districts: int
    communes: int
    villages: int
    teams: int
    commune_teams: int
    members: int
    activities: int
    rollup_rows: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return asdict(self)


def _fmt(n: int) -> str:
    """A count with the Vietnamese thousands separator: 1.234.567."""
    return f"{n:,}".replace(",", ".")


def _months_back(day: date, months: int) -> date:
    """The first day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


class _Writer:
    """Bulk rows through the raw DBAPI connection of the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.dialect = session.get_bind().dialect.name
        self.raw = session.connection().connection.driver_connection

    def write(self, table: str, columns: Sequence[str], rows: Iterator[tuple] | list[tuple]) -> None:
        """Insert rows (tuples in `columns` order), batch by batch."""
        cols = ", ".join(columns)
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))})"
        cur = self.raw.cursor()
        try:
            batch: list[tuple] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
        finally:
            cur.close()

    def write_columns(self, table: str, columns: Sequence[str], make_batch, total: int) -> None:  # type: ignore[no-untyped-def]
        """Insert `total` rows whose columns `make_batch(lo, hi)` returns as lists, one chunk at a time."""
        def rows() -> Iterator[tuple]:
            for lo in range(0, total, BATCH):
                yield from zip(*make_batch(lo, min(total, lo + BATCH)), strict=True)

        self.write(table, columns, rows())


def _communes(session: Session) -> dict[str, np.ndarray]:
    """The official communes with their district and province, and the province codes."""
    district, province = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(Unit.id, Unit.kind, Unit.name, Unit.level, district.id, province.id, province.code)
        .join(district, district.id == Unit.parent_id)
        .join(province, province.id == district.parent_id)
        .where(Unit.tier == "commune", Unit.structure == "legacy")
        .order_by(Unit.id)
    ).all()
    return {
        "id": np.array([r[0] for r in rows], dtype=np.int64),
        "kind": np.array([r[1] for r in rows], dtype=object),
        "name": np.array([r[2] for r in rows], dtype=object),
        "level": np.array([r[3] for r in rows], dtype=np.int64),
        "district": np.array([r[4] for r in rows], dtype=np.int64),
        "province": np.array([r[5] for r in rows], dtype=np.int64),
        "province_code": np.array([r[6] for r in rows], dtype=object),
    }


def _village_kind(commune_kind: str, province_code: str) -> str:
    if commune_kind == "Phường":
        return "Tổ dân phố"
    if commune_kind == "Thị trấn":
        return "Khối phố"
    if province_code in AP_PROVINCES:
        return "Ấp"
    if province_code in BAN_PROVINCES:
        return "Bản"
    return "Thôn"


def load_national(
    engine: Engine,
    *,
    villages: int,
    activities: int,
    seed: int = 42,
    today: date | None = None,
    progress: Progress = print,
) -> NationalCounts:
    """Build the national dataset in one transaction on an empty database (official units may exist)."""
    if villages < 0 or activities < 0:
        raise ValueError("villages and activities must not be negative")
    today = today or date.today()
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"

    def say(message: str) -> None:
        progress(f"[{time.perf_counter() - started:6.1f} giây] {message}".replace(".", ",", 1))

    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if sqlite:
            # No rollback journal, no fsync and no per-row foreign-key lookups during the load only:
            # the rows are generated consistent, and a crashed load is simply run again.
            conn.commit()
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-1048576",
                           "temp_store=MEMORY"):
                raw.execute(f"PRAGMA {pragma}")
        try:
            with Session(bind=conn) as session:
                counts = _load(session, villages=villages, activities=activities, seed=seed, today=today, say=say)
                session.commit()
        finally:
            if sqlite:
                for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-2000"):
                    raw.execute(f"PRAGMA {pragma}")
        say("Cập nhật thống kê cho bộ lập kế hoạch truy vấn (ANALYZE)…")
        if sqlite:
            raw.execute("PRAGMA analysis_limit=2000")
            raw.execute("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    seconds = time.perf_counter() - started
    say(f"Xong: {_fmt(counts.villages)} thôn, {_fmt(counts.teams)} tổ, {_fmt(counts.members)} thành viên, "
        f"{_fmt(counts.activities)} báo cáo.")
    return NationalCounts(**{**asdict(counts), "seconds": round(seconds, 1)})


def _load(session: Session, *, villages: int, activities: int, seed: int, today: date, say) -> NationalCounts:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    writer = _Writer(session)
    say("Nạp danh mục đơn vị hành chính chính thức (nếu chưa có)…")
    load_units(session, structure="legacy", progress=say)
    if session.scalar(select(func.count()).select_from(Unit).where(Unit.tier == "village")) or session.scalar(
        select(func.count()).select_from(Team)
    ):
        raise SystemExit("Cơ sở dữ liệu đã có thôn hoặc tổ: hãy dùng một cơ sở dữ liệu mới (chỉ có đơn vị hành chính).")
    com = _communes(session)
    n_communes = len(com["id"])
    districts, district_index = np.unique(com["district"], return_inverse=True)
    provinces = np.unique(com["province"])
    stamp = f"{today.isoformat()} 00:00:00.000000"

    # ---- villages ------------------------------------------------------------------------------
    say(f"Tạo {_fmt(villages)} thôn, khối phố trên {_fmt(n_communes)} xã…")
    urban = np.isin(com["kind"], ["Phường", "Thị trấn"])
    weight = rng.gamma(4.0, 1.0, n_communes) * np.where(urban, 0.8, 1.0)
    per_commune = rng.multinomial(villages, weight / weight.sum()) if villages else np.zeros(n_communes, np.int64)
    v_commune = np.repeat(np.arange(n_communes), per_commune)  # commune index of every village
    v_number = np.concatenate([np.arange(1, k + 1) for k in per_commune]) if villages else np.zeros(0, np.int64)
    first_id = (session.scalar(select(func.max(Unit.id))) or 0) + 1
    v_id = np.arange(first_id, first_id + villages, dtype=np.int64)
    kinds = np.array([_village_kind(k, c) for k, c in zip(com["kind"], com["province_code"], strict=True)], dtype=object)
    v_kind = kinds[v_commune]
    folded: dict[str, str] = {}

    def village_rows() -> Iterator[tuple]:
        for uid, ci, kind, number in zip(v_id.tolist(), v_commune.tolist(), v_kind.tolist(), v_number.tolist(), strict=True):
            short = str(number)
            full = f"{kind} {short}"
            key = folded.get(full)
            if key is None:
                key = folded[full] = fold(full)
            yield (uid, int(com["id"][ci]), "legacy", "village", int(com["level"][ci]) + 1, kind, full, short, key, stamp)

    writer.write("units", ["id", "parent_id", "structure", "tier", "level", "kind", "name", "short_name",
                           "search_name", "created_at"], village_rows())
    # Closure rows: each village, itself and every ancestor of its commune.
    chains: dict[int, list[tuple[int, int]]] = {}
    for anc, desc, depth in session.execute(
        select(UnitPath.ancestor_id, UnitPath.descendant_id, UnitPath.depth)
        .join(Unit, Unit.id == UnitPath.descendant_id)
        .where(Unit.tier == "commune", Unit.structure == "legacy")
    ):
        chains.setdefault(desc, []).append((anc, depth + 1))
    commune_ids = com["id"].tolist()

    def path_rows() -> Iterator[tuple]:
        for uid, ci in zip(v_id.tolist(), v_commune.tolist(), strict=True):
            yield (uid, uid, 0)
            for anc, depth in chains[commune_ids[ci]]:
                yield (anc, uid, depth)

    writer.write("unit_paths", ["ancestor_id", "descendant_id", "depth"], path_rows())

    # ---- teams ---------------------------------------------------------------------------------
    window = _months_back(today, MONTHS - 1)
    o_window, o_today = window.toordinal(), today.toordinal()
    pace_names = list(DISTRICT_PACE)
    shares = np.array([DISTRICT_PACE[p][0] for p in pace_names])
    d_pace = rng.choice(len(pace_names), size=len(districts), p=shares / shares.sum())
    lo = np.array([DISTRICT_PACE[p][1] for p in pace_names])[d_pace]
    hi = np.array([DISTRICT_PACE[p][2] for p in pace_names])[d_pace]
    # Half of the districts on track cover every village; the others anywhere in their range.
    d_cover = lo + rng.random(len(districts)) * (hi - lo)
    d_cover[(d_pace == 2) & (rng.random(len(districts)) < 0.5)] = 1.0
    c_pace = d_pace[district_index]
    c_cover = np.clip(d_cover[district_index] + rng.normal(0, 0.04, n_communes) * (d_cover[district_index] < 1), 0, 1)
    # When a district's teams were set up: on track early in the window, far behind late.
    start_lo = np.array([330, 90, -120])[c_pace]
    start_hi = np.array([900, 540, 200])[c_pace]

    has_team = rng.random(villages) < c_cover[v_commune]
    t_unit_v = v_id[has_team]
    t_commune_v = v_commune[has_team]
    n_vteams = len(t_unit_v)
    est = o_window + start_lo[t_commune_v] + (rng.random(n_vteams) * (start_hi - start_lo)[t_commune_v]).astype(np.int64)
    est = np.minimum(est, o_today - 20)
    # Commune teams, in communes that have villages, more often where the district is on track.
    with_villages = per_commune > 0
    p_commune = min(1.0, COMMUNE_TEAM_SHARE * villages / max(1, int(with_villages.sum())))
    c_team = with_villages & (rng.random(n_communes) < p_commune * np.array([0.4, 0.8, 1.15])[c_pace])
    ct_idx = np.flatnonzero(c_team)
    ct_est = o_window + start_lo[ct_idx] + (rng.random(len(ct_idx)) * (start_hi - start_lo)[ct_idx]).astype(np.int64)
    ct_est = np.minimum(ct_est, o_today - 20)
    # Some village teams stopped; half of those were replaced by a new team from the day they stopped.
    closed = (rng.random(n_vteams) < CLOSED_SHARE) & (est + 200 < o_today - 60)
    close_day = np.where(closed, est + 180 + (rng.random(n_vteams) * np.maximum(1, o_today - 60 - est - 180)).astype(np.int64), 0)
    replaced = closed & (rng.random(n_vteams) < 0.5)

    t_unit = np.concatenate([t_unit_v, com["id"][ct_idx], t_unit_v[replaced]])
    t_commune = np.concatenate([t_commune_v, ct_idx, t_commune_v[replaced]])
    t_est = np.concatenate([est, ct_est, close_day[replaced]])
    t_close = np.concatenate([close_day, np.zeros(len(ct_idx), np.int64), np.zeros(int(replaced.sum()), np.int64)])
    t_kind = np.concatenate([np.zeros(n_vteams, np.int8), np.ones(len(ct_idx), np.int8), np.full(int(replaced.sum()), 2, np.int8)])
    n_teams = len(t_unit)
    first_team = (session.scalar(select(func.max(Team.id))) or 0) + 1
    t_id = np.arange(first_team, first_team + n_teams, dtype=np.int64)
    say(f"Tạo {_fmt(n_teams)} tổ CNSCĐ ({_fmt(len(ct_idx))} tổ cấp xã, {_fmt(int(closed.sum()))} tổ đã ngừng)…")
    unit_name = dict(zip(v_id.tolist(), (f"{k} {n}" for k, n in zip(v_kind.tolist(), v_number.tolist(), strict=True)), strict=True))
    unit_name.update(zip(com["id"].tolist(), com["name"].tolist(), strict=True))
    decision = rng.integers(10, 999, n_teams)
    days = {o: date.fromordinal(o).isoformat() for o in range(min(o_window, int(t_est.min(initial=o_window))) - 1, o_today + 2)}

    def team_rows() -> Iterator[tuple]:
        for tid, uid, kind, e, c, dn in zip(t_id.tolist(), t_unit.tolist(), t_kind.tolist(), t_est.tolist(),
                                            t_close.tolist(), decision.tolist(), strict=True):
            prefix = "Tổ CNSCĐ cấp xã" if kind == 1 else "Tổ CNSCĐ"
            name = f"{prefix} {unit_name[uid]}" + (" (kiện toàn)" if kind == 2 else "")
            yield (tid, uid, name, days[e], f"{dn}/QĐ-UBND", days[c] if c else None, stamp, stamp)

    writer.write("teams", ["id", "unit_id", "name", "established_on", "decision_no", "closed_on", "created_at",
                           "updated_at"], team_rows())

    # ---- members -------------------------------------------------------------------------------
    sizes = rng.choice(np.array([3, 4, 5, 6, 7]), size=n_teams, p=[0.1, 0.25, 0.3, 0.2, 0.15])
    n_members = int(sizes.sum())
    say(f"Tạo {_fmt(n_members)} thành viên…")
    m_team = np.repeat(np.arange(n_teams), sizes)
    m_pos = np.arange(n_members) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # 0: leader, 1: deputy
    female = rng.random(n_members) < 0.45
    family = rng.integers(0, len(FAMILY), n_members)
    given = rng.integers(0, 1 << 20, n_members)
    birth = np.where(m_pos == 0, rng.integers(1965, 1996, n_members), rng.integers(1968, 2007, n_members))
    orgs = np.array(SUPPORT_ORGS, dtype=object)[rng.integers(0, len(SUPPORT_ORGS), n_members)]
    leader_org = np.where(t_kind[m_team] == 1, "commune_staff", "village_head")
    org = np.where(m_pos == 0, leader_org, np.where(m_pos == 1, "youth_union", orgs))
    leader_pos = np.where(t_kind[m_team] == 1, "PCT UBND xã", "Trưởng thôn")
    position = np.where(m_pos == 0, leader_pos, np.where(m_pos == 1, "Bí thư Chi đoàn", None))
    role = np.where(m_pos == 0, "leader", np.where(m_pos == 1, "deputy", "member"))
    phone = rng.integers(0, 100_000_000, n_members)
    prefix = np.array(["03", "05", "07", "08", "09"], dtype=object)[rng.integers(0, 5, n_members)]
    m_join = t_est[m_team]
    left = np.where(t_close[m_team] > 0, t_close[m_team], 0)
    leave_early = (m_pos >= 2) & (left == 0) & (rng.random(n_members) < 0.03) & (m_join + 60 < o_today)
    left = np.where(leave_early, m_join + 30 + (rng.random(n_members) * np.maximum(1, o_today - m_join - 31)).astype(np.int64), left)
    first_member = (session.scalar(text("SELECT max(id) FROM members")) or 0) + 1

    def member_rows() -> Iterator[tuple]:
        for i, (ti, fem, fam, g, by, o, r, pos, ph, pre, j, lf) in enumerate(zip(
            m_team.tolist(), female.tolist(), family.tolist(), given.tolist(), birth.tolist(), org.tolist(),
            role.tolist(), position.tolist(), phone.tolist(), prefix.tolist(), m_join.tolist(), left.tolist(), strict=True,
        )):
            names = FEMALE if fem else MALE
            middle, first = names[g % len(names)]
            yield (first_member + i, int(t_id[ti]), f"{FAMILY[fam]} {middle} {first}", "female" if fem else "male", by,
                   f"{pre}{ph:08d}", r, o, pos,
                   days[j], days[lf] if lf else None, stamp)

    writer.write("members", ["id", "team_id", "full_name", "gender", "birth_year", "phone", "role", "organisation",
                             "position", "joined_on", "left_on", "created_at"], member_rows())

    # ---- activity reports ----------------------------------------------------------------------
    say(f"Sinh {_fmt(activities)} báo cáo hoạt động trong {MONTHS} tháng…")
    begin = np.maximum(t_est, o_window)
    end = np.where(t_close > 0, t_close - 1, o_today)
    silent = rng.random(n_teams) < SILENT_SHARE
    end = np.where(silent, np.minimum(end, o_today - rng.integers(31, 240, n_teams)), end)
    span = end - begin + 1
    intensity = rng.lognormal(0.0, 0.6, n_teams) * np.array([0.6, 0.85, 1.2])[c_pace[t_commune]]
    intensity[rng.random(n_teams) < NEVER_REPORTED_SHARE] = 0.0
    w = np.where(span > 0, span, 0) * intensity
    per_team = rng.multinomial(activities, w / w.sum()) if activities and w.sum() > 0 else np.zeros(n_teams, np.int64)
    a_team = np.repeat(np.arange(n_teams, dtype=np.int32), per_team)
    a_day = (begin[a_team] + (rng.random(activities) * span[a_team]).astype(np.int64)).astype(np.int32)
    order = np.argsort(a_day, kind="stable")  # ids follow the dates, as reports arrive day by day
    a_team, a_day = a_team[order], a_day[order]
    del order
    types = list(ACTIVITY_VOLUMES)
    weights = np.array(ACTIVITY_WEIGHTS, dtype=float)
    a_type = rng.choice(len(types), size=activities, p=weights / weights.sum()).astype(np.int8)
    bounds = np.array([[lo_hi for span_ in ACTIVITY_VOLUMES[t] for lo_hi in span_] for t in types])  # 8 × 6

    def draw(col: int) -> np.ndarray:
        low, high = bounds[a_type, col], bounds[a_type, col + 1]
        return (low + rng.random(activities) * (high - low + 1)).astype(np.int32)

    a_people = draw(0)
    a_households = np.minimum(draw(2), a_people)
    a_results = draw(4)
    t_commune_id = np.asarray(com["id"])[t_commune]
    day_str = np.array([days.get(o) for o in range(o_window, o_today + 1)], dtype=object)
    created = np.array([f"{d} 20:00:00.000000" for d in day_str], dtype=object)
    type_names = np.array(types, dtype=object)
    first_activity = (session.scalar(text("SELECT max(id) FROM activities")) or 0) + 1
    t_id_l, t_unit_arr = t_id, t_unit

    def activity_batch(lo: int, hi: int) -> list[list]:
        teams_ = a_team[lo:hi]
        offs = a_day[lo:hi] - o_window
        created_ = created[offs].tolist()
        return [
            list(range(first_activity + lo, first_activity + hi)),
            t_id_l[teams_].tolist(),
            t_unit_arr[teams_].tolist(),
            t_commune_id[teams_].tolist(),
            day_str[offs].tolist(),
            type_names[a_type[lo:hi]].tolist(),
            a_people[lo:hi].tolist(),
            a_households[lo:hi].tolist(),
            a_results[lo:hi].tolist(),
            created_,
            created_,
        ]

    say(f"Ghi {_fmt(activities)} báo cáo vào cơ sở dữ liệu…")
    cols = ["id", "team_id", "unit_id", "commune_id", "activity_date", "activity_type", "people_reached",
            "households_reached", "results", "created_at", "updated_at"]
    done = 0
    for lo in range(0, activities, 2_000_000):
        hi = min(activities, lo + 2_000_000)
        writer.write_columns("activities", cols, lambda a, b, lo=lo: activity_batch(lo + a, lo + b), hi - lo)
        done = hi
        say(f"  … đã ghi {_fmt(done)} / {_fmt(activities)} báo cáo")

    say("Tính lại các bảng tổng hợp (theo xã × tháng × loại hoạt động; theo ngày của huyện, tỉnh và cả nước)…")
    counts.rebuild(session)
    rollup_rows = int(session.scalar(text("SELECT count(*) FROM activity_rollups")) or 0)
    if writer.dialect == "postgresql":
        for table in ("units", "teams", "members", "activities"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    bump_data_version(session)
    return NationalCounts(
        provinces=len(provinces), districts=len(districts), communes=n_communes, villages=villages, teams=n_teams,
        commune_teams=len(ct_idx), members=n_members, activities=activities, rollup_rows=rollup_rows, seconds=0.0,
    )
