"""Test factories with fixed, readable defaults: a small unit tree, teams, users, the standard world; a row count."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, FromClause, Table, func, select
from sqlalchemy.orm import Session

from db.access import Actor
from db.auth import SYSTEM, actor_of
from db.auth import create_user as _create_user
from db.models import Member, Team, Unit, UnitSuccession, User
from db.structures import LAST_LEGACY_DAY, REFORM_DAY
from db.text import fold
from db.units import insert_unit

DEFAULT_PASSWORD = "Mat-khau-dai-2022"
__all__ = ["Member", "NewTree", "Tree", "World", "actor_for", "actor_of", "admin", "carry_village", "count_rows", "create_new_tree",
           "create_new_unit", "create_team", "create_tree", "create_unit", "create_user", "create_world", "officer_of", "row_counts"]


@dataclass
class Tree:
    """Province → two districts → communes → villages, with Vietnamese names."""

    province: Unit
    district: Unit
    district2: Unit
    commune: Unit
    commune2: Unit
    villages: list[Unit]
    village_other: Unit


def create_unit(session: Session, *, parent: Unit | None, tier: str, kind: str, short: str, code: str | None = None) -> Unit:
    """A unit named "{kind} {short}" under `parent`, inserted with its closure rows."""
    name = f"{kind} {short}"
    return insert_unit(
        session,
        Unit(parent_id=parent.id if parent else None, structure="legacy", tier=tier,
             level=(parent.level + 1) if parent else 1, kind=kind, name=name, short_name=short,
             search_name=fold(name), code=code),
    )


def create_tree(session: Session) -> Tree:
    """Tỉnh Quảng Nam → Huyện Phú Ninh (Xã Tam Phước: 3 thôn) and Huyện Núi Thành (Xã Tam Xuân: 1 thôn)."""
    province = create_unit(session, parent=None, tier="province", kind="Tỉnh", short="Quảng Nam", code="49")
    district = create_unit(session, parent=province, tier="district", kind="Huyện", short="Phú Ninh", code="512")
    district2 = create_unit(session, parent=province, tier="district", kind="Huyện", short="Núi Thành", code="513")
    commune = create_unit(session, parent=district, tier="commune", kind="Xã", short="Tam Phước", code="20380")
    commune2 = create_unit(session, parent=district2, tier="commune", kind="Xã", short="Tam Xuân", code="20968")
    villages = [
        create_unit(session, parent=commune, tier="village", kind="Thôn", short=short)
        for short in ("Phú Mỹ", "Khánh Thọ", "Đàn Thượng")
    ]
    village_other = create_unit(session, parent=commune2, tier="village", kind="Thôn", short="Long Khánh")
    session.flush()
    return Tree(province, district, district2, commune, commune2, villages, village_other)


@dataclass
class World:
    """The standard small dataset of the database tests: the tree and one account of each role that needs no team.

    It holds no team on purpose: the modules put their teams in different villages, and the import and
    service tests need every village free. A module that needs teams (and so a volunteer) builds them on
    top of this in a fixture of its own, with a name that says what it adds.
    """

    tree: Tree
    admin: Actor  # quantri: an administrator's account, the whole country
    officer: Actor  # canbo.phuninh: the officer (cán bộ) of Huyện Phú Ninh, who writes inside tree.district
    leader: Actor  # lanhdao.phuninh: a leader (lãnh đạo) of Huyện Phú Ninh, who reads inside it; password DEFAULT_PASSWORD


def create_world(session: Session) -> World:
    """The tree of create_tree and an admin, an officer and a leader account (Huyện Phú Ninh's), flushed."""
    tree = create_tree(session)
    return World(
        tree=tree,
        admin=actor_of(create_user(session, role="admin", username="quantri")),
        officer=actor_of(create_user(session, role="officer", unit=tree.district, username="canbo.phuninh")),
        leader=actor_of(create_user(session, role="leader", unit=tree.district, username="lanhdao.phuninh")),
    )


def count_rows(db: Session | Connection, table: type | FromClause, *where: ColumnElement[bool]) -> int:
    """How many rows of a model or table (those matching every `where`), read in the caller's transaction."""
    stmt = select(func.count()).select_from(table)
    if where:
        stmt = stmt.where(*where)
    return int(db.scalar(stmt) or 0)


def row_counts(db: Session | Connection, tables: Iterable[type | Table]) -> dict[str, int]:
    """count_rows of each model or table, by table name: a snapshot to compare before and after a write."""
    return {getattr(t, "__tablename__", None) or t.name: count_rows(db, t) for t in tables}


def create_team(
    session: Session,
    *,
    unit: Unit,
    established_on: date = date(2022, 7, 1),
    name: str | None = None,
    members: int = 0,
    closed_on: date | None = None,
) -> Team:
    """A team of a unit with `members` members (the first one its leader)."""
    team = Team(unit_id=unit.id, name=name or f"Tổ CNSCĐ {unit.name}", established_on=established_on, closed_on=closed_on)
    session.add(team)
    session.flush()
    for i in range(members):
        session.add(Member(team_id=team.id, full_name=f"Thành viên {i + 1}", role="leader" if i == 0 else "member",
                           organisation="youth_union", gender="female" if i % 2 else "male", birth_year=1990 + i,
                           joined_on=established_on, left_on=closed_on))
    session.flush()
    return team


def create_user(
    session: Session,
    *,
    role: str,
    unit: Unit | None = None,
    team: Team | None = None,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
) -> User:
    """An account made through the real service (argon2 hash, audit row)."""
    user = _create_user(
        session, actor=SYSTEM, username=username or f"{role}.{unit.id if unit else 'all'}", password=password,
        full_name=f"Người dùng {role}", role=role, unit_id=unit.id if unit else None, team_id=team.id if team else None,
    )
    session.flush()
    return user


def actor_for(user: User) -> Actor:
    """The data layer's view of an account, as the pages get it after sign-in."""
    return actor_of(user)


def officer_of(session: Session, unit: Unit, username: str | None = None) -> Actor:
    """An officer account bound to `unit`, as an actor."""
    return actor_of(create_user(session, role="officer", unit=unit, username=username or f"canbo.{unit.id}"))


def admin() -> Actor:
    """The all-country administrator actor used by command-line set-up."""
    return SYSTEM


@dataclass
class NewTree:
    """The 2025 structure beside `create_tree`'s: Thành phố Đà Nẵng → Xã Phú Ninh and Xã Tam Xuân (province → commune)."""

    province: Unit
    commune: Unit  # Xã Phú Ninh, successor of the legacy Xã Tam Phước; shares its code "20380" (codes repeat)
    commune2: Unit  # Xã Tam Xuân, successor of the legacy Xã Tam Xuân: the same name in both structures


def create_new_unit(session: Session, *, parent: Unit | None, tier: str, kind: str, short: str, code: str | None = None) -> Unit:
    """A 2025 unit, valid from 01/07/2025, named "{kind} {short}" under `parent`."""
    name = f"{kind} {short}"
    return insert_unit(
        session,
        Unit(parent_id=parent.id if parent else None, structure="2025", tier=tier, level=(parent.level + 1) if parent else 1,
             kind=kind, name=name, short_name=short, search_name=fold(name), code=code, valid_from=REFORM_DAY),
    )


def create_new_tree(session: Session, tree: Tree) -> NewTree:
    """Load a small 2025 structure beside `tree`: the legacy units end on 30/06/2025, successions link the communes."""
    province = create_new_unit(session, parent=None, tier="province", kind="Thành phố", short="Đà Nẵng", code="48")
    commune = create_new_unit(session, parent=province, tier="commune", kind="Xã", short="Phú Ninh", code="20380")
    commune2 = create_new_unit(session, parent=province, tier="commune", kind="Xã", short="Tam Xuân", code="20968")
    for unit in (tree.province, tree.district, tree.district2, tree.commune, tree.commune2):
        unit.valid_to = LAST_LEGACY_DAY
    session.add_all([UnitSuccession(legacy_id=tree.commune.id, new_id=commune.id, is_default=True, divided=False),
                     UnitSuccession(legacy_id=tree.commune2.id, new_id=commune2.id, is_default=True, divided=False)])
    session.flush()
    return NewTree(province, commune, commune2)


def carry_village(session: Session, village: Unit, new_commune: Unit) -> Unit:
    """Carry one village over to a 2025 commune as the design says (a test's stand-in for db/reform.py).

    Same row and id: parent := the 2025 commune, former parent := its legacy commune, structure and level of
    the 2025 tree; closure rows to the 2025 commune and its ancestors are added, the legacy ones kept; its
    teams' reports dated from 01/07/2025 move to the 2025 commune. The kept tables are rebuilt.
    """
    from sqlalchemy import update

    from db import counts
    from db.models import Activity, UnitPath

    if village.former_parent_id is None:
        village.former_parent_id = village.parent_id
    village.parent_id, village.structure, village.level = new_commune.id, new_commune.structure, new_commune.level + 1
    have = set(session.scalars(select(UnitPath.ancestor_id).where(UnitPath.descendant_id == village.id)))
    for ancestor_id, depth in session.execute(
        select(UnitPath.ancestor_id, UnitPath.depth).where(UnitPath.descendant_id == new_commune.id)
    ).all():
        if ancestor_id not in have:
            session.add(UnitPath(ancestor_id=ancestor_id, descendant_id=village.id, depth=depth + 1))
    session.flush()
    team_ids = select(Team.id).where(Team.unit_id == village.id).scalar_subquery()
    session.execute(update(Activity).where(Activity.team_id.in_(team_ids), Activity.activity_date >= REFORM_DAY)
                    .values(commune_id=new_commune.id), execution_options=counts.REBUILT)
    counts.rebuild(session)
    return village
