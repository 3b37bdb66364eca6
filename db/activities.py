"""Activity reports: the quick report, corrections, and the aggregates the charts read."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import pandas as pd
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from db import limits, vocab
from db.access import Actor, ensure_can_read_team, ensure_within_scope, scope_unit
from db.audit import record, snapshot
from db.counts import COUNTRY, SCOPE_TIERS, is_kept_scope
from db.errors import NotFound, PermissionDenied, UserError
from db.models import Activity, ActivityRollup, ScopeRollup, Team, Unit, UnitPath, User
from db.photos import discard_unused, store_photo
from db.sqlfuncs import first_of_month, month_start
from db.structures import REFORM_DAY
from db.text import sort_frame
from db.units import children_cond
from db.validation import optional_text, whole_number

EDIT_DAYS = 7  # a reporter may correct or delete their own report for this many days


# ---- writes -------------------------------------------------------------------------------------


@dataclass
class ActivityInput:
    """One report as typed in the quick form."""

    team_id: int | None
    activity_date: date | None
    activity_type: str
    people_reached: int | None = 0
    households_reached: int | None = 0
    results: int | None = 0
    note: str | None = None
    photo: bytes | None = None
    form_token: str | None = None
    confirmed_large: bool = False  # an officer ticked "Tôi đã kiểm tra: số liệu này đúng" for figures above the usual


CONFIRMED = {"confirmed_large": "đã kiểm tra, số liệu đúng"}  # what the audit row adds when an officer confirmed


class TooManyReports(UserError):
    """The account sent more reports than limits.REPORT_RATE allows; `retry_minutes` says when it may send again."""

    def __init__(self, retry_minutes: int) -> None:
        super().__init__(f"Bạn đã gửi quá nhiều báo cáo trong thời gian ngắn; hãy thử lại sau {_wait_text(retry_minutes)}.")
        self.retry_minutes = retry_minutes


def _wait_text(minutes: int) -> str:
    """'N phút' up to two hours, else whole hours rounded up."""
    return f"{minutes} phút" if minutes <= 120 else f"{math.ceil(minutes / 60)} giờ"


def _ensure_can_report(session: Session, actor: Actor, team_id: int) -> Team:
    """Volunteers report for their own team; officers and admins for any team in their scope."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("Không tìm thấy tổ.", field="team")
    if actor.acts_for_own_team:
        if actor.team_id != team_id:
            raise PermissionDenied("Bạn chỉ báo cáo được cho tổ của mình.")
    elif actor.can_report:
        ensure_within_scope(session, actor, team.unit_id)
    else:
        raise PermissionDenied("Tài khoản của bạn không gửi báo cáo hoạt động.")
    return team


def _count(value: int | None, *, field: str, label: str) -> int:
    """A whole number between 0 and the field's limit."""
    if value is None:
        return 0
    number = whole_number(value, field=field, label=label)  # "abc", NaN or 10**400 get a message, not a crash
    if number < 0:
        raise UserError(f"{label} không được âm.", field=field)
    if number > limits.REPORT_MAXIMA[field]:
        raise UserError(f"{label} quá lớn cho một báo cáo (tối đa {limits.REPORT_MAXIMA[field]:,}).".replace(",", "."), field=field)
    return number


def _validated(session: Session, team: Team, data: ActivityInput, today: date) -> dict:
    """Check a report's fields against the team's dates and the bounds; return column values."""
    if data.activity_type not in vocab.ACTIVITY_TYPES:
        raise UserError("Hãy chọn loại hoạt động.", field="activity_type")
    day = data.activity_date
    if day is None:
        raise UserError("Hãy chọn ngày hoạt động.", field="activity_date")
    if day > today:
        raise UserError("Ngày hoạt động không được ở tương lai.", field="activity_date")
    if day < team.established_on:
        raise UserError(
            f"Ngày hoạt động trước ngày thành lập tổ ({team.established_on:%d/%m/%Y}).", field="activity_date"
        )
    if team.closed_on is not None and day >= team.closed_on:
        raise UserError(f"Tổ đã ngừng hoạt động từ {team.closed_on:%d/%m/%Y}.", field="activity_date")
    values = {
        "activity_date": day,
        "activity_type": data.activity_type,
        "people_reached": _count(data.people_reached, field="people_reached", label="Số người được hỗ trợ"),
        "households_reached": _count(data.households_reached, field="households_reached", label="Số hộ"),
        "results": _count(data.results, field="results", label=vocab.RESULT_LABELS[data.activity_type]),
        "note": optional_text(data.note, field="note", label="Ghi chú", max_len=limits.NOTE_MAX),
    }
    return values


def _store_photo(values: dict, data: ActivityInput) -> None:
    """Store the report's photo last, once every other check has passed (a refused report leaves no file)."""
    if data.photo:
        values["photo"] = store_photo(data.photo)


def _check_plausible(actor: Actor, values: dict, before: dict | None, *, confirmed: bool) -> bool:
    """Figures above limits.plausible_report need an officer's confirmation; True when one was given and needed.

    On a correction only a figure that changes is judged again, so fixing the note of a confirmed report needs
    no second confirmation. A volunteer cannot confirm: the commune officer enters or confirms such a report.
    """
    bounds = limits.plausible_report(values["activity_type"])
    labels = vocab.REPORT_FIGURES | {"results": vocab.RESULT_LABELS[values["activity_type"]]}
    high = [f for f, most in bounds.items() if values[f] > most and (before is None or before.get(f) != values[f])]
    if not high:
        return False
    field = high[0]
    figure = f"{labels[field]} ({values[field]:,})".replace(",", ".")
    usual = f"{bounds[field]:,}".replace(",", ".")
    if not actor.can_write:
        raise UserError(f"{figure} cao bất thường cho một buổi hoạt động (thường không quá {usual}). Nếu số liệu đúng, "
                        "hãy nhờ cán bộ xã nhập hoặc xác nhận báo cáo này; nếu gõ nhầm, hãy sửa lại.", field=field)
    if not confirmed:
        raise UserError(f"{figure} cao bất thường cho một buổi hoạt động (thường không quá {usual}). Hãy kiểm tra lại; "
                        "nếu đúng, đánh dấu ô \"Tôi đã kiểm tra: số liệu này đúng\" rồi gửi lại.", field=field)
    return True


def _database_now(session: Session) -> datetime:
    """The database's clock, as `created_at` stores it (naive), so every server process counts alike."""
    now = session.scalar(select(func.now()))
    if isinstance(now, str):  # SQLite hands CURRENT_TIMESTAMP back as text
        now = datetime.fromisoformat(now)
    assert isinstance(now, datetime)
    return now.replace(tzinfo=None)


def _check_rate(session: Session, actor: Actor) -> None:
    """Refuse a report over the account's limits.REPORT_RATE, counted from the reports it created in each window."""
    windows = limits.REPORT_RATE.get(actor.role)
    if actor.user_id is None or not windows:  # the command line (seeding, benchmarks) has no account to limit
        return
    now = _database_now(session)
    for minutes, most in windows:
        since = now - timedelta(minutes=minutes)
        mine = (Activity.reported_by == actor.user_id, Activity.created_at > since)
        sent = session.scalar(select(func.count()).select_from(Activity).where(*mine)) or 0
        if sent < most:
            continue
        # The window frees a place when the report `sent - most` places after its oldest leaves it.
        freed = session.scalar(select(Activity.created_at).where(*mine).order_by(Activity.created_at, Activity.id)
                               .offset(sent - most).limit(1))
        left = (freed + timedelta(minutes=minutes) - now) if freed is not None else timedelta(minutes=1)
        raise TooManyReports(max(1, math.ceil(left.total_seconds() / 60)))


def _commune_of(session: Session, unit_id: int, day: date) -> int:
    """The commune a team works in on a day: its unit when that is a commune, else the unit's parent.

    A village carried over to the 2025 structure reports to its legacy commune before 01/07/2025 and to its
    2025 commune from that day (db/reform.py), so each tree's past figures keep their reports.
    """
    unit = session.get(Unit, unit_id)
    assert unit is not None
    if unit.tier == "commune" or unit.parent_id is None:
        return unit.id
    if unit.former_parent_id is not None and day < REFORM_DAY:
        return unit.former_parent_id
    return unit.parent_id


def create_activity(session: Session, *, actor: Actor, data: ActivityInput, today: date | None = None) -> Activity:
    """Record one report; the same form token sent twice returns the first report, unchanged.

    The token is looked up after the permission check, and a token is the sender's own: someone else's
    token (guessed or copied) reveals nothing and writes nothing.
    """
    today = today or date.today()
    if data.team_id is None:
        raise UserError("Hãy chọn tổ.", field="team")
    team = _ensure_can_report(session, actor, data.team_id)
    if data.form_token:
        existing = session.scalar(select(Activity).where(Activity.form_token == data.form_token))
        if existing is not None:
            if existing.reported_by != actor.user_id or existing.team_id != team.id:
                raise UserError("Biểu mẫu này đã được dùng; hãy tải lại trang rồi nhập lại báo cáo.")
            return existing
    _check_rate(session, actor)  # after the token: a resend of a stored report is answered, not counted
    values = _validated(session, team, data, today)
    confirmed = _check_plausible(actor, values, None, confirmed=data.confirmed_large)
    _store_photo(values, data)
    activity = Activity(
        team_id=team.id,
        unit_id=team.unit_id,
        commune_id=_commune_of(session, team.unit_id, values["activity_date"]),
        reported_by=actor.user_id,
        form_token=data.form_token,
        **values,
    )
    session.add(activity)
    session.flush()
    record(session, actor, "create", activity, None, extra=CONFIRMED if confirmed else None)
    return activity


def _ensure_can_change(session: Session, actor: Actor, activity: Activity, today: date) -> None:
    """The reporter for 7 days after reporting; an officer or admin of the scope at any time."""
    if actor.can_write:
        ensure_within_scope(session, actor, activity.unit_id)
        return
    if activity.reported_by != actor.user_id or not actor.acts_for_own_team:
        raise PermissionDenied("Bạn chỉ sửa, xóa được báo cáo do chính mình gửi.")
    if (today - activity.created_at.date()).days > EDIT_DAYS:
        raise PermissionDenied(f"Đã quá {EDIT_DAYS} ngày kể từ khi gửi; hãy nhờ cán bộ xã sửa báo cáo này.")


def _get_activity(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound("Không tìm thấy báo cáo (có thể đã bị xóa).")
    return activity


def update_activity(
    session: Session, *, actor: Actor, activity_id: int, data: ActivityInput, today: date | None = None
) -> Activity:
    """Correct a report (not its team); the kept sums follow at commit (db/counts.py)."""
    today = today or date.today()
    activity = _get_activity(session, activity_id)
    _ensure_can_change(session, actor, activity, today)
    team = session.get(Team, activity.team_id)
    assert team is not None
    values = _validated(session, team, data, today)
    before = snapshot(activity)
    confirmed = _check_plausible(actor, values, before, confirmed=data.confirmed_large)
    _store_photo(values, data)
    for key, value in values.items():
        setattr(activity, key, value)
    activity.commune_id = _commune_of(session, activity.unit_id, activity.activity_date)  # a date may cross 01/07/2025
    session.flush()
    record(session, actor, "update", activity, before, extra=CONFIRMED if confirmed else None)
    return activity


def delete_activity(session: Session, *, actor: Actor, activity_id: int, today: date | None = None) -> None:
    """Delete a report; the audit row keeps its values."""
    today = today or date.today()
    activity = _get_activity(session, activity_id)
    _ensure_can_change(session, actor, activity, today)
    before = snapshot(activity)
    record(session, actor, "delete", activity, before)
    session.delete(activity)
    # Its photo's files go once this transaction commits, unless another report shows the same photo; a rollback keeps them.
    discard_unused(session, [activity.photo])


def delete_activities(session: Session, *, actor: Actor, activity_ids: Sequence[int], today: date | None = None) -> int:
    """Delete many reports at once (officers and admins), all or none; one audit row per report. Returns how many.

    Every report is checked first with the rule of delete_activity; then each goes through delete_activity itself,
    so a bulk deletion does exactly what one deletion does (audit row, photo file).
    """
    today = today or date.today()
    if not actor.can_write:
        raise PermissionDenied("Chỉ cán bộ mới xóa được nhiều báo cáo cùng lúc.")
    ids = list(dict.fromkeys(int(i) for i in activity_ids))
    if not ids:
        raise UserError("Hãy chọn ít nhất một báo cáo để xóa.")
    if len(ids) > limits.BULK_DELETE_MAX:
        raise UserError(f"Mỗi lần xóa được tối đa {limits.BULK_DELETE_MAX} báo cáo; hãy chọn ít hơn.")
    found = {a.id: a for a in session.scalars(select(Activity).where(Activity.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"Không tìm thấy {len(missing)} báo cáo đã chọn (có thể đã bị xóa); chưa xóa báo cáo nào.")
    try:
        for activity_id in ids:
            _ensure_can_change(session, actor, found[activity_id], today)
    except PermissionDenied as err:
        raise PermissionDenied(f"{err.message} Chưa xóa báo cáo nào.") from err
    for activity_id in ids:
        delete_activity(session, actor=actor, activity_id=activity_id, today=today)
    session.flush()
    return len(ids)


# ---- reads --------------------------------------------------------------------------------------

MEASURES = ("reports", "people_reached", "households_reached", "results")  # summed per month and type
MONTH_COLUMNS = ["month", "activity_type", *MEASURES]


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Add the Vietnamese type label and make the month a real date."""
    df["month"] = pd.to_datetime(df["month"]).dt.date
    df["type_label"] = df["activity_type"].map(vocab.ACTIVITY_TYPES)
    for col in MEASURES:
        df[col] = df[col].astype("int64")
    return df


def fetch_unit_activity_by_month(
    session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date
) -> pd.DataFrame:
    """Reports, people, households and results per month and type in a unit's subtree, exactly within [start, end].

    Whole months come from the rollups; a month the period cuts is corrected from that month's raw
    reports, on its shorter side, so a chart's bars add up to the period's own total.
    """
    unit_id = scope_unit(session, actor, unit_id)
    # The country, a province or a district reads its own scope rows; a commune sums its villages' few.
    kept = is_kept_scope(session, unit_id)
    r = ScopeRollup if kept else ActivityRollup
    stmt = (
        select(r.month, r.activity_type, *(func.sum(getattr(r, m)) for m in MEASURES))
        .where(r.month.between(first_of_month(start), end))
        .group_by(r.month, r.activity_type)
    )
    if kept:
        stmt = stmt.where(ScopeRollup.scope_id == (COUNTRY if unit_id is None else unit_id))
    else:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == ActivityRollup.commune_id,
                                        UnitPath.ancestor_id == unit_id))
    frame = _indexed(session.execute(stmt).all())
    for month, inside in _cut_months(start, end):
        first, last = month, _month_end(month)
        if (inside[1] - inside[0]).days + 1 <= ((last - first).days + 1) // 2:
            frame = pd.concat([frame.drop(index=month, level="month", errors="ignore"),
                               _raw_by_type(session, unit_id, month, *inside)])
        else:  # most of the month is in the period: the rollup minus the days outside it
            for a, b in ((first, inside[0] - timedelta(days=1)), (inside[1] + timedelta(days=1), last)):
                if a <= b:
                    frame = frame.sub(_raw_by_type(session, unit_id, month, a, b), fill_value=0)
    frame = frame[frame["reports"] > 0].sort_index().reset_index()
    return _labelled(frame[MONTH_COLUMNS].copy())


def _indexed(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """Month × type rows indexed by (month, activity_type), months as dates."""
    frame = pd.DataFrame(rows, columns=MONTH_COLUMNS)
    frame["month"] = [m if isinstance(m, date) else date.fromisoformat(str(m)[:10]) for m in frame["month"]]
    return frame.astype(dict.fromkeys(MEASURES, "int64")).set_index(["month", "activity_type"])


def _month_end(month: date) -> date:
    """The last day of the month that starts on `month`."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _cut_months(start: date, end: date) -> list[tuple[date, tuple[date, date]]]:
    """The months the period [start, end] covers only in part, each with the period's days in it."""
    cut = []
    for month in sorted({first_of_month(start), first_of_month(end)}):
        inside = (max(start, month), min(end, _month_end(month)))
        if inside != (month, _month_end(month)):
            cut.append((month, inside))
    return cut


def _raw_by_type(session: Session, unit_id: int | None, month: date, a: date, b: date) -> pd.DataFrame:
    """The raw reports of [a, b] (days of one month) per type, as rows of that month."""
    act = Activity
    stmt = (
        select(act.activity_type, func.count(act.id), *(func.sum(getattr(act, m)) for m in MEASURES[1:]))
        .where(act.activity_date.between(a, b))
        .group_by(act.activity_type)
    )
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == act.commune_id, UnitPath.ancestor_id == unit_id))
    return _indexed([(month, *row) for row in session.execute(stmt).all()])


CHILD_COLUMNS = ["unit_id", "name", "tier", "reports", "people_reached"]
COMMUNE_TEAM_ROW = "Tổ CNSCĐ cấp xã"


def fetch_activity_by_child(
    session: Session, *, actor: Actor, unit_id: int | None, start: date, end: date
) -> pd.DataFrame:
    """Reports and people reached per child of a unit (the provinces for the country) in the months from `start` to `end`.

    Provinces and districts read their kept scope rows, communes their commune rows (db/counts.py); the
    villages of one commune, which no rollup splits, sum that commune's own reports. Children without a
    report are listed with zeros. The months are whole, from `start`'s month to `end`'s: the page asks for
    whole months up to today, where this is the period `fetch_unit_activity_by_month` sums day by day.
    """
    unit_id = scope_unit(session, actor, unit_id)
    cond = children_cond(session, unit_id, as_of=end)  # both trees: closure rows; the country: the date's provinces
    children = pd.DataFrame(session.execute(select(Unit.id, Unit.name, Unit.tier).where(cond).order_by(Unit.name)).all(),
                            columns=["unit_id", "name", "tier"])
    ids = [int(i) for i in children["unit_id"]]
    months = (first_of_month(start), end)
    sums: list[tuple[int, int, int]] = []
    kept = [i for i, t in zip(ids, children["tier"], strict=True) if t in SCOPE_TIERS]
    communes = [i for i, t in zip(ids, children["tier"], strict=True) if t == "commune"]
    villages = [i for i, t in zip(ids, children["tier"], strict=True) if t == "village"]
    if kept:
        s = ScopeRollup
        sums += session.execute(
            select(s.scope_id, func.sum(s.reports), func.sum(s.people_reached))
            .where(s.scope_id.in_(kept), s.month.between(*months)).group_by(s.scope_id)).all()
    if communes:
        r = ActivityRollup
        sums += session.execute(
            select(r.commune_id, func.sum(r.reports), func.sum(r.people_reached))
            .where(r.commune_id.in_(communes), r.month.between(*months)).group_by(r.commune_id)).all()
    own: list[tuple[int, int, int]] = []
    if villages and unit_id is not None:
        a = Activity  # one commune's reports, through the commune index: few
        rows = session.execute(
            select(a.unit_id, func.count(a.id), func.sum(a.people_reached))
            .where(a.commune_id == unit_id, a.activity_date.between(*months))
            .group_by(a.unit_id)).all()
        sums += [(r[0], r[1], r[2]) for r in rows if r[0] != unit_id]
        own = [(r[0], r[1], r[2]) for r in rows if r[0] == unit_id]
    if own:  # the commune's own team: a row of its own, so the rows add up to the commune's figures
        children = pd.concat([children, pd.DataFrame([(unit_id, COMMUNE_TEAM_ROW, "commune")], columns=children.columns)],
                             ignore_index=True)
        sums += own
    totals = pd.DataFrame(sums, columns=["unit_id", "reports", "people_reached"])
    df = children.merge(totals, on="unit_id", how="left")
    for col in ("reports", "people_reached"):
        df[col] = df[col].fillna(0).astype("int64")
    return sort_frame(df[CHILD_COLUMNS], "name")


def fetch_team_activity_by_month(
    session: Session, *, actor: Actor, team_id: int, start: date, end: date
) -> pd.DataFrame:
    """The same sums for one team, from its own reports (one team's reports are few)."""
    ensure_can_read_team(session, actor, team_id)
    a = Activity
    month = month_start(a.activity_date)
    stmt = (
        select(month, a.activity_type, func.count(), func.sum(a.people_reached), func.sum(a.households_reached), func.sum(a.results))
        .where(a.team_id == team_id, a.activity_date.between(start, end))
        .group_by(month, a.activity_type)
        .order_by(month)
    )
    return _labelled(pd.DataFrame(session.execute(stmt).all(), columns=MONTH_COLUMNS))


_Stmt = TypeVar("_Stmt", bound=Select)


def _report_rows_in_scope(session: Session, actor: Actor, stmt: _Stmt, *, team_id: int | None, unit_id: int | None) -> _Stmt:
    """Limit a select of report rows to one readable team, or to a unit's subtree within the actor's scope."""
    if team_id is not None:
        ensure_can_read_team(session, actor, team_id)
        return stmt.where(Activity.team_id == team_id)
    unit_id = scope_unit(session, actor, unit_id)
    if unit_id is not None:
        stmt = stmt.join(UnitPath, and_(UnitPath.descendant_id == Activity.commune_id, UnitPath.ancestor_id == unit_id))
    if actor.acts_for_own_team:  # the commune's charts, yes; other teams' report rows, no (no team: none)
        stmt = stmt.where(Activity.team_id == actor.team_id)
    return stmt


def fetch_recent_activities(
    session: Session, *, actor: Actor, team_id: int | None = None, unit_id: int | None = None, limit: int = 20,
    today: date | None = None,
) -> pd.DataFrame:
    """The latest reports of a team, or of a unit's subtree (a volunteer: their own team's), with whether the actor may change each."""
    today = today or date.today()
    a = Activity
    village = aliased(Unit)
    stmt = (
        select(
            a.id, a.activity_date, a.activity_type, a.people_reached, a.households_reached, a.results, a.note,
            a.photo, Team.name, village.name, User.full_name, a.reported_by, a.created_at,
        )
        .join(Team, Team.id == a.team_id)
        .join(village, village.id == a.unit_id)
        .outerjoin(User, User.id == a.reported_by)
        .order_by(a.activity_date.desc(), a.id.desc())
        .limit(limit)
    )
    stmt = _report_rows_in_scope(session, actor, stmt, team_id=team_id, unit_id=unit_id)
    cols = ["activity_id", "activity_date", "activity_type", "people_reached", "households_reached", "results",
            "note", "photo", "team", "unit", "reporter", "reported_by", "created_at"]
    df = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    df["can_change"] = [
        actor.can_write or (actor.acts_for_own_team and rb == actor.user_id and (today - ca.date()).days <= EDIT_DAYS)
        for rb, ca in zip(df["reported_by"], df["created_at"], strict=True)
    ]
    df["type_label"] = df["activity_type"].map(vocab.ACTIVITY_TYPES)
    return df


@dataclass(frozen=True)
class ActivityRecord:
    """One report, for the correction form."""

    id: int
    team_id: int
    activity_date: date
    activity_type: str
    people_reached: int
    households_reached: int
    results: int
    note: str | None
    photo: str | None


def fetch_activity(session: Session, *, actor: Actor, activity_id: int) -> ActivityRecord:
    """One report inside the actor's scope."""
    activity = _get_activity(session, activity_id)
    ensure_can_read_team(session, actor, activity.team_id)
    return ActivityRecord(
        id=activity.id, team_id=activity.team_id, activity_date=activity.activity_date,
        activity_type=activity.activity_type, people_reached=activity.people_reached,
        households_reached=activity.households_reached, results=activity.results, note=activity.note,
        photo=activity.photo,
    )


REVIEW_LIMIT = 200  # rows the officers' review list shows: the largest figures first, so outliers lead


def fetch_reports_to_review(
    session: Session, *, actor: Actor, start: date, end: date, unit_id: int | None = None, team_id: int | None = None,
    limit: int = REVIEW_LIMIT,
) -> pd.DataFrame:
    """Reports of a period in a unit's subtree or one team, largest figures first (officers and admins, to clean up)."""
    if not actor.can_write:
        raise PermissionDenied("Chỉ cán bộ mới rà soát được báo cáo.")
    if start > end:
        raise UserError("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.", field="period")
    a = Activity
    village = aliased(Unit)
    stmt = (
        select(a.id, a.activity_date, a.activity_type, a.people_reached, a.households_reached, a.results, a.note,
               Team.name, village.name, User.full_name)
        .join(Team, Team.id == a.team_id)
        .join(village, village.id == a.unit_id)
        .outerjoin(User, User.id == a.reported_by)
        .where(a.activity_date.between(start, end))
        .order_by(a.people_reached.desc(), a.households_reached.desc(), a.results.desc(), a.activity_date.desc(),
                  a.id.desc())
        .limit(limit)
    )
    stmt = _report_rows_in_scope(session, actor, stmt, team_id=team_id, unit_id=unit_id)
    cols = ["activity_id", "activity_date", "activity_type", "people_reached", "households_reached", "results", "note",
            "team", "unit", "reporter"]
    df = pd.DataFrame(session.execute(stmt).all(), columns=cols)
    df["type_label"] = df["activity_type"].map(vocab.ACTIVITY_TYPES)
    return df
