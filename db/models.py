"""Typed SQLAlchemy models: units, the unit closure, teams, members, activities, users, audit, recommendations."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Unit(Base):
    """An administrative unit: province, district, commune or village; any depth, one parent."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("structure", "tier", "code", name="uq_units_structure_tier_code"),
        Index("ix_units_parent_name", "parent_id", "name"),
        Index("ix_units_tier_structure", "tier", "structure"),
        # One village of a name per commune even when two officers add it at the same moment (the service's
        # own check cannot see the other's uncommitted row).
        # Two merged communes' "Thôn 1" may both sit under one 2025 commune: they differ by their former commune.
        Index("uq_units_village_name", "parent_id", text("coalesce(former_parent_id, 0)"), "name", unique=True,
              sqlite_where=text("tier = 'village'"), postgresql_where=text("tier = 'village'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    structure: Mapped[str] = mapped_column(String(10), default="legacy")  # legacy | 2025
    tier: Mapped[str] = mapped_column(String(10))  # province | district | commune | village
    level: Mapped[int] = mapped_column(Integer)  # depth from the province, 1-based
    kind: Mapped[str] = mapped_column(String(40))  # "Tỉnh", "Huyện", "Xã", "Thôn"…
    name: Mapped[str] = mapped_column(String(150))  # full name with its kind: "Xã Tam Phước"
    short_name: Mapped[str] = mapped_column(String(150))  # "Tam Phước"
    search_name: Mapped[str] = mapped_column(String(150), index=True)  # fold(name)
    code: Mapped[str | None] = mapped_column(String(12))  # official code where one exists
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # The days the unit exists (None: open); legacy units end 30/06/2025, 2025 units start 01/07/2025.
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # the last day, inclusive
    # A village carried over to a 2025 commune keeps its legacy commune here, and its legacy closure rows:
    # it then sits in both trees, so the legacy units' past figures stay as they were (db/reform.py). No foreign
    # key: SQLite cannot add one to an existing table without copying it (see migration 0009).
    former_parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class UnitSuccession(Base):
    """The official mapping: a legacy commune and a 2025 commune it went (wholly or partly) into."""

    __tablename__ = "unit_successions"

    legacy_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    new_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True)
    is_default: Mapped[bool] = mapped_column(Boolean)  # where a divided commune's village goes without better data
    divided: Mapped[bool] = mapped_column(Boolean)  # the legacy commune went to several 2025 communes
    area_km2: Mapped[float | None] = mapped_column(Float)  # the 2025 commune's area, to place a village by position


class ReformChoice(Base):
    """An officer's confirmed 2025 commune for one village of a divided legacy commune."""

    __tablename__ = "reform_choices"

    village_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    chosen_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    chosen_at: Mapped[datetime] = mapped_column(DateTime)


class UnitPath(Base):
    """Closure table: one row per (ancestor, descendant) pair, self included at depth 0."""

    __tablename__ = "unit_paths"
    __table_args__ = (Index("ix_unit_paths_descendant", "descendant_id", "depth"),)

    ancestor_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    descendant_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    depth: Mapped[int] = mapped_column(Integer)


class Team(Base):
    """A Community Digital Technology Team (Tổ CNSCĐ) of one village or one commune."""

    __tablename__ = "teams"
    __table_args__ = (
        # At most one open team per unit; dated overlaps are checked by the service.
        Index(
            "uq_teams_open_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("closed_on IS NULL"),
            postgresql_where=text("closed_on IS NULL"),
        ),
        Index("ix_teams_dates", "established_on", "closed_on"),
        Index("ix_teams_unit_dates", "unit_id", "established_on", "closed_on"),  # "active team here?" probes
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    established_on: Mapped[date] = mapped_column(Date)
    decision_no: Mapped[str | None] = mapped_column(String(60))
    closed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class Member(Base):
    """A person serving in a team, with the dates of their membership."""

    __tablename__ = "members"
    __table_args__ = (
        Index(
            "uq_members_active_leader",
            "team_id",
            unique=True,
            sqlite_where=text("role = 'leader' AND left_on IS NULL"),
            postgresql_where=text("role = 'leader' AND left_on IS NULL"),
        ),
        Index("ix_members_team_dates", "team_id", "joined_on", "left_on"),  # active members, index only
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    gender: Mapped[str | None] = mapped_column(String(10))  # male | female
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(15))  # normalised 0xxxxxxxxx
    role: Mapped[str] = mapped_column(String(10), default="member")  # leader | deputy | member
    organisation: Mapped[str] = mapped_column(String(20), default="other")
    position: Mapped[str | None] = mapped_column(String(120))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Activity(Base):
    """One activity report of a team; `form_token` makes a resubmitted form count once."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_team_date", "team_id", "activity_date"),
        Index("ix_activities_commune_date", "commune_id", "activity_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    # The commune the team works in (its own unit for a commune team): the rollups' key.
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    activity_date: Mapped[date] = mapped_column(Date, index=True)
    activity_type: Mapped[str] = mapped_column(String(20))
    people_reached: Mapped[int] = mapped_column(Integer, default=0)
    households_reached: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(80))
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class ActivityRollup(Base):
    """Reports summed per commune, month and type, kept current in every write transaction.

    Dashboards read these few rows instead of millions of reports; the current month's partial
    sums up to a date come from the raw reports of that month only.
    """

    __tablename__ = "activity_rollups"
    __table_args__ = (
        # Month first and the sums carried along: a national monthly chart reads this index only.
        Index("ix_activity_rollups_month_sums", "month", "activity_type", "reports", "people_reached",
              "households_reached", "results"),
    )

    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    activity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    people_reached: Mapped[int] = mapped_column(BigInteger, default=0)
    households_reached: Mapped[int] = mapped_column(BigInteger, default=0)
    results: Mapped[int] = mapped_column(BigInteger, default=0)


class ScopeRollup(Base):
    """The rollups summed again for every district, province and the country (scope 0), kept with them.

    A national or province chart then reads at most a few hundred rows (times the shards written since
    the last rebuild; reads sum them); no foreign key, since the country is not a unit.
    """

    __tablename__ = "scope_rollups"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in key order: a scope's months are adjacent

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    activity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, server_default="0")  # see db/counts.py: SHARDS
    reports: Mapped[int] = mapped_column(Integer, default=0)
    people_reached: Mapped[int] = mapped_column(BigInteger, default=0)
    households_reached: Mapped[int] = mapped_column(BigInteger, default=0)
    results: Mapped[int] = mapped_column(BigInteger, default=0)


class _CountColumns:
    """How many villages, covered villages, communes, communes with a team, active teams, active members
    and reporting teams start (+) or stop (-) counting on the day (see db/counts.py)."""

    villages: Mapped[int] = mapped_column(Integer, default=0)
    villages_covered: Mapped[int] = mapped_column(Integer, default=0)
    communes: Mapped[int] = mapped_column(Integer, default=0)
    communes_with_team: Mapped[int] = mapped_column(Integer, default=0)
    teams: Mapped[int] = mapped_column(Integer, default=0)
    members: Mapped[int] = mapped_column(Integer, default=0)
    reporting: Mapped[int] = mapped_column(Integer, default=0)


class LeafCount(_CountColumns, Base):
    """One village's or commune's own count events per day, so a write adds only what changed."""

    __tablename__ = "leaf_counts"
    __table_args__ = {"sqlite_with_rowid": False}

    # No foreign key: when a unit is deleted its rows must still be there to be taken off its scopes.
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class ScopeCount(_CountColumns, Base):
    """The count events of every village and commune under a district, a province or the country (0)."""

    __tablename__ = "scope_counts"
    __table_args__ = {"sqlite_with_rowid": False}  # a scope's days are adjacent: a figure is one range read

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, server_default="0")  # see db/counts.py: SHARDS


class Target(Base):
    """A target set for a unit: village coverage by a deadline, or people reached in a quarter."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "due_on", name="uq_targets_unit_kind_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # village_coverage | people_quarter
    value: Mapped[float] = mapped_column(Float)  # a ratio 0–1 for coverage, a count for people
    due_on: Mapped[date] = mapped_column(Date)  # the deadline, or the last day of the quarter
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class User(Base):
    """An account bound to a unit (and, for a volunteer, a team); no unit means the whole country."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True)  # for single sign-on, when configured
    password_hash: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10))  # admin | officer | volunteer | leader
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Unused since migration 0008: failures are counted per (username, client) in sign_in_failures.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    # Moved when the account is disabled or its password reset or changed: a write by an actor read
    # before then is refused in its own transaction (db/transactions.py).
    auth_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class AuthSession(Base):
    """A signed-in browser: the hash of the token kept in its cookie, and when it was last used."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)


class SignInFailure(Base):
    """Recent wrong sign-ins of one typed username from one client (a known browser, else an address); hashed keys."""

    __tablename__ = "sign_in_failures"

    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the typed username
    client_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of "device:…" or "ip:…"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    held_until: Mapped[datetime | None] = mapped_column(DateTime)


class ServerKey(Base):
    """A server-wide secret kept in the database, shared by every app server (the known-browser cookie's key)."""

    __tablename__ = "server_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class AuditEntry(Base):
    """Who changed which record, when, with the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))  # create | update | close | delete
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class DataVersion(Base):
    """The write counters that key cached reads: per province, 0 country-wide, -1 national; summed over shards (db/versions.py)."""

    __tablename__ = "data_version"
    __table_args__ = {"sqlite_with_rowid": False}

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class Recommendation(Base):
    """One difficulty, recommendation or proposal, with the answer and the dates it moved."""

    __tablename__ = "recommendations"
    __table_args__ = (Index("ix_recommendations_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
