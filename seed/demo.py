"""The demo dataset: Quảng Nam, Phú Ninh and Núi Thành with villages, teams, members and accounts.

Facts from the programme's news: on 31/08/2022 four localities of Phú Ninh (Tam Phước, Tam Dân,
Tam Thành, Thị trấn Phú Thịnh) had set up 19 teams with 102 members, the rest of the district followed
later; Núi Thành covered 100% of its villages. Village and people names are made up.

Then the 1 July 2025 reform, as it happened: Tỉnh Quảng Nam joined Thành phố Đà Nẵng and the districts went
away; Phú Ninh's ten communes became Xã Chiên Đàn, Xã Phú Ninh and Xã Tây Hồ, Núi Thành's seventeen six
communes. Both structures are loaded, the demo's villages are carried over with db.reform (their teams,
members and reports follow), the legacy communes' own teams close on 01/07/2025 and each new commune sets up
its own, and activity goes on to today under the new communes, with a few villages and teams registered since.
"""

import random
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from db import counts, reform
from db.access import Actor
from db.auth import SYSTEM, actor_of, create_user
from db.models import Activity, Member, Recommendation, Target, Team, Unit, UnitPath, UnitSuccession, User
from db.structures import LAST_LEGACY_DAY, NEW, REFORM_DAY
from db.text import fold
from db.units import insert_unit
from db.versions import bump_data_version
from seed.units import Progress, load_both

DEADLINE = date(2022, 8, 31)
DEMO_PASSWORD = "Demo@CNSCD2022"
PROVINCE_CODE = "49"  # Tỉnh Quảng Nam
NEW_PROVINCE_CODE = "48"  # Thành phố Đà Nẵng (2025), which Quảng Nam joined
PHU_NINH, NUI_THANH = "Huyện Phú Ninh", "Huyện Núi Thành"
XA_PHU_NINH = "Xã Phú Ninh"  # the 2025 commune of Tam Dân, Tam Đại and Tam Lãnh
# The four pioneer localities and how many villages each has; together 19 villages, one team each.
PIONEERS = {"Xã Tam Phước": 6, "Xã Tam Dân": 5, "Xã Tam Thành": 4, "Thị trấn Phú Thịnh": 4}
PIONEER_MEMBERS = 102
UNCOVERED = {"Xã Tam Lãnh": 1, "Xã Tam Lộc": 2, "Xã Tam Đại": 1}  # Phú Ninh villages still without a team

VILLAGE_WORDS = [
    "Phú Mỹ", "An Mỹ", "Trung Đàn", "Khánh Thọ", "Thạnh Mỹ", "Vĩnh Quý", "Đàn Thượng", "Cẩm Khê",
    "Tiên Hà", "Phước Lộc", "Hòa Bình", "Thạch Tân", "Quý Phước", "Long Khánh", "Bình Quế", "Định Phước",
    "Phú Xuân", "Xuân Trung", "Tú Mỹ", "Dương Lâm", "Mỹ Thạch", "Lạc Sơn", "Thuận An", "Đông An",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MALE = [("Văn", "Hùng"), ("Văn", "Dũng"), ("Minh", "Tuấn"), ("Đức", "Thịnh"), ("Hữu", "Phước"), ("Văn", "Lộc"),
        ("Quang", "Huy"), ("Công", "Danh"), ("Thanh", "Sơn"), ("Văn", "Tâm"), ("Đình", "Khoa"), ("Ngọc", "Bảo")]
FEMALE = [("Thị", "Hoa"), ("Thị", "Lan"), ("Thị Thu", "Hà"), ("Ngọc", "Ánh"), ("Thị", "Mai"), ("Thị", "Hằng"),
          ("Thanh", "Thảo"), ("Thị Kim", "Oanh"), ("Thị", "Nhung"), ("Phương", "Linh"), ("Thị", "Diệu")]
SUPPORT_ORGS = ["youth_union", "women_union", "farmers_union", "veterans", "police", "telecom_post", "teacher",
                "commune_staff", "other"]


def _village_kind(commune: Unit) -> str:
    return "Khối phố" if commune.kind in ("Thị trấn", "Phường") else "Thôn"


def _add_villages(session: Session, commune: Unit, count: int, rng: random.Random) -> list[Unit]:
    """Create `count` villages under a commune, names drawn without repeats."""
    kind = _village_kind(commune)
    if kind == "Khối phố":
        names = [str(i) for i in range(1, count + 1)]
    else:
        names = rng.sample(VILLAGE_WORDS, count)
    return [
        insert_unit(session, Unit(parent_id=commune.id, structure=commune.structure, tier="village",
                                  level=commune.level + 1, kind=kind, name=f"{kind} {n}", short_name=n,
                                  search_name=fold(f"{kind} {n}")))
        for n in names
    ]


def _person(rng: random.Random, role: str, organisation: str, joined: date, birth_low: int = 1965) -> Member:
    female = rng.random() < 0.45
    middle, given = rng.choice(FEMALE if female else MALE)
    return Member(
        full_name=f"{rng.choice(FAMILY)} {middle} {given}",
        gender="female" if female else "male",
        birth_year=rng.randint(birth_low, 2004),
        phone="0" + rng.choice("3579") + "".join(rng.choice("0123456789") for _ in range(8)),
        role=role,
        organisation=organisation,
        position={"leader": "Trưởng thôn", "deputy": "Bí thư Chi đoàn"}.get(role),
        joined_on=joined,
    )


def _add_team(session: Session, unit: Unit, start: date, decision: str, size: int, rng: random.Random) -> Team:
    """A team with a leader, a deputy and `size - 2` members, all joining on the founding day."""
    prefix = "Tổ CNSCĐ" if unit.tier == "village" else "Tổ CNSCĐ cấp xã"
    team = Team(unit_id=unit.id, name=f"{prefix} {unit.name}", established_on=start, decision_no=decision)
    session.add(team)
    session.flush()
    roles = [("leader", "village_head" if unit.tier == "village" else "commune_staff"), ("deputy", "youth_union")]
    roles += [("member", rng.choice(SUPPORT_ORGS)) for _ in range(size - 2)]
    for role, org in roles:
        member = _person(rng, role, org, start, birth_low=1965 if role == "leader" else 1975)
        member.team_id = team.id
        session.add(member)
    return team


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _unit(session: Session, **where: object) -> Unit:
    return session.scalars(select(Unit).filter_by(**where)).one()


def _demo_villages(session: Session, districts: list[Unit]) -> int:
    """The demo's villages under its districts, found through the closure rows (they stay after the carry-over)."""
    return session.scalar(
        select(func.count()).select_from(Unit).join(UnitPath, UnitPath.descendant_id == Unit.id)
        .where(Unit.tier == "village", UnitPath.ancestor_id.in_([d.id for d in districts]))
    ) or 0


def load_demo(session: Session, *, progress: Progress = print, today: date | None = None, carry_over: bool = True) -> None:
    """Load both official structures and the demo dataset across the reform; a second run adds nothing.

    Without `carry_over` the registry stays in the legacy structure, its commune teams undecided: what an
    administrator finds before using the carry-over page (the browser journey of the reform starts there).
    """
    today = today or date.today()
    load_both(session, progress=progress)
    province = _unit(session, structure="legacy", tier="province", code=PROVINCE_CODE)
    phu_ninh = _unit(session, parent_id=province.id, name=PHU_NINH)
    nui_thanh = _unit(session, parent_id=province.id, name=NUI_THANH)
    fresh = not _demo_villages(session, [phu_ninh, nui_thanh])
    if not fresh:
        progress("Dữ liệu mẫu đã có, không thêm gì.")
    else:
        rng = random.Random(42)
        _load_phu_ninh(session, phu_ninh, rng)
        _load_nui_thanh(session, nui_thanh, rng)
        # The communes' own teams close on 01/07/2025 (the new communes set up theirs): their last reports
        # are of 30/06/2025. Closing, not moving, keeps each legacy commune's past figures as they were.
        closing = legacy_commune_teams(session, [phu_ninh, nui_thanh])
        ends = dict.fromkeys(closing, LAST_LEGACY_DAY)
        reports = _load_activities(session, [phu_ninh, nui_thanh], rng, today=today, ends=ends)
        # "100% of villages with a team before 31/08/2022" for each district; the province a year on.
        for unit, due in ((phu_ninh, DEADLINE), (nui_thanh, DEADLINE), (province, date(2023, 8, 31))):
            session.add(Target(unit_id=unit.id, kind="village_coverage", value=1.0, due_on=due))
        count = f"{reports:,}".replace(",", ".")
        progress(f"Dữ liệu mẫu: đã thêm thôn, tổ CNSCĐ, thành viên và {count} báo cáo hoạt động của Phú Ninh và Núi Thành.")
    _load_accounts(session, LEGACY_ACCOUNTS, progress)
    if fresh and carry_over:
        _carry_over(session, province, [phu_ninh, nui_thanh], closing, progress)
    if fresh:
        _load_since_reform(session, new_communes_of(session, [phu_ninh, nui_thanh]), random.Random(2025),
                           today=today, progress=progress)
    _load_accounts(session, NEW_ACCOUNTS, progress)
    if fresh:
        now = datetime.combine(today, datetime.now().time()).replace(microsecond=0)
        _load_recommendations(session, phu_ninh, nui_thanh, now=now)
    bump_data_version(session)


def legacy_commune_teams(session: Session, districts: list[Unit]) -> list[int]:
    """The open commune-level teams of the districts' communes (they close on 01/07/2025)."""
    return list(session.scalars(
        select(Team.id).join(Unit, Unit.id == Team.unit_id)
        .join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.ancestor_id.in_([d.id for d in districts])))
        .where(Unit.tier == "commune", Unit.structure == "legacy", Team.closed_on.is_(None))
        .order_by(Team.id)
    ))


def new_communes_of(session: Session, districts: list[Unit]) -> list[Unit]:
    """The 2025 communes the districts' communes went to, by the official mapping."""
    return list(session.scalars(
        select(Unit).where(Unit.id.in_(
            select(UnitSuccession.new_id).join(UnitPath, UnitPath.descendant_id == UnitSuccession.legacy_id)
            .where(UnitPath.ancestor_id.in_([d.id for d in districts]))
        )).order_by(Unit.code)
    ))


def _carry_over(session: Session, province: Unit, districts: list[Unit], commune_teams: list[int],
                progress: Progress) -> None:
    """The administrator carries Quảng Nam's villages over to Đà Nẵng's communes and closes the commune teams."""
    admin = _admin(session)
    divided = session.scalar(select(func.count()).select_from(UnitSuccession).join(
        UnitPath, UnitPath.descendant_id == UnitSuccession.legacy_id).where(
        UnitPath.ancestor_id.in_([d.id for d in districts]), UnitSuccession.divided))
    if divided:  # none of the demo's communes was divided; were one, its villages are confirmed where the plan puts them
        plan = reform.plan_carry_over(session, actor=admin, province_id=province.id)
        for row in plan.villages.itertuples():
            if row.to_confirm:
                reform.choose_commune(session, actor=admin, village_id=int(row.village_id),
                                      commune_id=int(row.new_commune_id))
    result = reform.apply_carry_over(session, actor=admin, province_id=province.id)
    for team_id in commune_teams:
        reform.decide_commune_team(session, actor=admin, team_id=team_id, decision="close")
    progress(f"Sắp xếp địa giới 01/07/2025: đã chuyển {result.villages} thôn, {result.teams} tổ sang xã mới; "
             f"{len(commune_teams)} tổ cấp xã cũ giải thể.")


def _admin(session: Session) -> Actor:
    """The demo's administrator (the system actor if the account is missing)."""
    user = session.scalars(select(User).where(User.username == "admin")).first()
    return actor_of(user) if user is not None else SYSTEM


def _new_commune(session: Session, name: str) -> Unit:
    """A 2025 commune of Thành phố Đà Nẵng by name."""
    city = _unit(session, structure=NEW, tier="province", code=NEW_PROVINCE_CODE)
    return _unit(session, parent_id=city.id, name=name)


# Registered since the reform, directly under a 2025 commune: (commune, village kind, name, days after
# 01/07/2025 the village was added, days before today its team was founded, or None for a day after the village).
SINCE_REFORM = [
    ("Xã Tây Hồ", "Thôn", "Hồ Sơn", 20, None),
    ("Xã Tam Anh", "Thôn", "Tân An", 35, None),  # Núi Thành's successors stay fully covered
    (XA_PHU_NINH, "Thôn", "Tân Phú", 60, 45),  # Xã Phú Ninh's newest team, weeks old
]


def _load_since_reform(session: Session, communes: list[Unit], rng: random.Random, *, today: date,
                       progress: Progress) -> None:
    """Since 01/07/2025: each new commune's own team, a few villages and teams registered under the new communes,
    and their reports to today."""
    teams: list[tuple[Team, Unit]] = []
    for commune in communes:
        start = REFORM_DAY + timedelta(days=rng.randint(0, 20))
        teams.append((_add_team(session, commune, start, f"{rng.randint(1, 60)}/QĐ-UBND", rng.randint(6, 8), rng),
                      commune))
    for commune_name, kind, name, after, ago in SINCE_REFORM:
        commune = _new_commune(session, commune_name)
        village = insert_unit(session, Unit(parent_id=commune.id, structure=NEW, tier="village", level=commune.level + 1,
                                            kind=kind, name=f"{kind} {name}", short_name=name,
                                            search_name=fold(f"{kind} {name}")))
        added = REFORM_DAY + timedelta(days=after)
        start = today - timedelta(days=ago) if ago is not None else added + timedelta(days=rng.randint(10, 40))
        start = min(max(start, added), today)
        teams.append((_add_team(session, village, start, f"{rng.randint(10, 90)}/QĐ-UBND", rng.randint(5, 7), rng),
                      commune))
    session.flush()
    types = list(ACTIVITY_VOLUMES)
    reports = 0
    for team, commune in teams:
        day = team.established_on + timedelta(days=rng.randint(1, 6))
        while day <= today:
            kind = rng.choices(types, weights=ACTIVITY_WEIGHTS)[0]
            people, households, results = (rng.randint(*span) for span in ACTIVITY_VOLUMES[kind])
            # Added through the ORM: the kept counts follow at commit like any officer's report.
            session.add(Activity(team_id=team.id, unit_id=team.unit_id, commune_id=commune.id, activity_date=day,
                                 activity_type=kind, people_reached=people, households_reached=min(households, people),
                                 results=results))
            reports += 1
            day += timedelta(days=rng.randint(4, 12))
    city = _unit(session, structure=NEW, tier="province", code=NEW_PROVINCE_CODE)
    session.add(Target(unit_id=city.id, kind="village_coverage", value=1.0, due_on=date(today.year, 12, 31)))
    session.flush()
    progress(f"Sau 01/07/2025: đã thêm {len(communes)} tổ cấp xã mới, {len(SINCE_REFORM)} thôn mới có tổ CNSCĐ "
             f"và {reports} báo cáo của các tổ này.")


# (district, legacy commune, category, text, status, answer, days ago raised, days to answer). One raised before
# 01/07/2025 stays with its legacy commune and the district officer answered it; one raised since belongs to the
# 2025 commune the legacy one joined, answered by that commune's officer (Xã Phú Ninh's in the demo).
DEMO_RECOMMENDATIONS = [
    (PHU_NINH, "Xã Tam Lãnh", "difficulty", "Một số thôn chưa có sóng 4G ổn định, khó hướng dẫn người dân cài đặt VNeID tại nhà.",
     "open", None, 12, None),
    (PHU_NINH, "Xã Tam Dân", "recommendation", "Đề nghị xã hỗ trợ kinh phí in tài liệu hướng dẫn nộp hồ sơ dịch vụ công trực tuyến.",
     "in_progress", "Văn phòng HĐND và UBND xã đang tổng hợp nhu cầu các thôn, dự kiến cấp tài liệu trong quý tới.", 40, 6),
    (PHU_NINH, "Xã Tam Đại", "proposal", "Đề xuất tổ chức tập huấn kỹ năng bán hàng trên sàn thương mại điện tử cho hộ kinh doanh.",
     "resolved", "Đã phối hợp Bưu điện thành phố tổ chức 02 lớp tập huấn cho 65 hộ kinh doanh.", 120, 35),
    (PHU_NINH, "Xã Tam Lộc", "difficulty", "Thành viên tổ chủ yếu là đoàn viên đi làm xa, khó duy trì hoạt động thường xuyên.",
     "open", None, 25, None),
    (NUI_THANH, "Xã Tam Xuân I", "recommendation", "Đề nghị cấp thẻ nhận diện cho thành viên tổ khi đến từng hộ gia đình.",
     "open", None, 8, None),
    (NUI_THANH, "Xã Tam Hòa", "difficulty", "Nhiều người cao tuổi chưa có điện thoại thông minh để sử dụng dịch vụ số.",
     "resolved", "Đã phối hợp doanh nghiệp viễn thông hỗ trợ máy cho hộ khó khăn và hướng dẫn người thân đăng ký thay.", 600, 21),
]
DISTRICT_OFFICERS = {PHU_NINH: "canbo.phuninh", NUI_THANH: "canbo.nuithanh"}
COMMUNE_OFFICERS = {XA_PHU_NINH: "canbo.xaphuninh"}


def _load_recommendations(session: Session, phu_ninh: Unit, nui_thanh: Unit, *, now: datetime) -> None:
    """A few recommendations, open, in progress and resolved, each answered by the officer of its unit then."""
    districts = {PHU_NINH: phu_ninh, NUI_THANH: nui_thanh}
    for district, commune_name, category, text, status, answer, ago, took in DEMO_RECOMMENDATIONS:
        unit = _unit(session, parent_id=districts[district].id, name=commune_name)
        officer = DISTRICT_OFFICERS[district]
        raised = now - timedelta(days=ago)
        if raised.date() >= REFORM_DAY:
            unit = session.scalars(select(Unit).join(UnitSuccession, UnitSuccession.new_id == Unit.id).where(
                UnitSuccession.legacy_id == unit.id, UnitSuccession.is_default)).one()
            officer = COMMUNE_OFFICERS.get(unit.name, "")
        officer_id = session.scalar(select(User.id).where(User.username == officer))
        if officer_id is None:  # no demo officer there yet: still waiting for an answer
            status, answer, took = "open", None, None
        answered = raised + timedelta(days=took) if took is not None else None
        session.add(Recommendation(unit_id=unit.id, category=category, text=text, status=status, raised_at=raised,
                                   answer=answer, answered_by=officer_id if answer else None, answered_at=answered,
                                   resolved_at=answered if status == "resolved" else None))


def _communes(session: Session, district: Unit) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.parent_id == district.id).order_by(Unit.code)))


def _load_phu_ninh(session: Session, district: Unit, rng: random.Random) -> None:
    """19 pioneer teams with 102 members by 31/08/2022; the rest of the district later, a few still open."""
    pioneer_villages: list[tuple[Unit, str]] = []
    later: list[Unit] = []
    for commune in _communes(session, district):
        count = PIONEERS.get(commune.name) or rng.randint(5, 7)
        villages = _add_villages(session, commune, count, rng)
        if commune.name in PIONEERS:
            decision = f"{rng.randint(100, 180)}/QĐ-UBND"  # one decision establishes a commune's teams
            pioneer_villages += [(v, decision) for v in villages]
        else:
            later += villages[UNCOVERED.get(commune.name, 0):]
        # The commune team came after the deadline everywhere in Phú Ninh.
        _add_team(session, commune, _day_between(rng, date(2022, 10, 1), date(2023, 3, 31)),
                  f"{rng.randint(200, 260)}/QĐ-UBND", rng.randint(5, 7), rng)
    sizes = [PIONEER_MEMBERS // len(pioneer_villages)] * len(pioneer_villages)
    for i in range(PIONEER_MEMBERS - sum(sizes)):
        sizes[i] += 1
    for (village, decision), size in zip(pioneer_villages, sizes, strict=True):
        _add_team(session, village, _day_between(rng, date(2022, 7, 15), DEADLINE), decision, size, rng)
    for village in later:
        _add_team(session, village, _day_between(rng, date(2022, 9, 10), date(2023, 9, 30)),
                  f"{rng.randint(300, 400)}/QĐ-UBND", rng.randint(4, 7), rng)


def _load_nui_thanh(session: Session, district: Unit, rng: random.Random) -> None:
    """Every village and commune with a team; one team stopped and was replaced."""
    villages: list[Unit] = []
    for commune in _communes(session, district):
        villages += _add_villages(session, commune, rng.randint(4, 7), rng)
        _add_team(session, commune, _day_between(rng, date(2022, 6, 1), date(2022, 8, 15)),
                  f"{rng.randint(50, 99)}/QĐ-UBND", rng.randint(5, 7), rng)
    for village in villages:
        _add_team(session, village, _day_between(rng, date(2022, 6, 15), date(2022, 8, 25)),
                  f"{rng.randint(100, 199)}/QĐ-UBND", rng.randint(4, 7), rng)
    replaced = session.scalars(select(Team).where(Team.unit_id == villages[0].id)).one()
    replaced.closed_on = date(2023, 12, 31)
    for member in session.scalars(select(Member).where(Member.team_id == replaced.id)):
        member.left_on = replaced.closed_on
    session.flush()
    _add_team(session, villages[0], date(2024, 2, 15), "25/QĐ-UBND", 6, rng).name += " (kiện toàn)"


# Per type: (people reached, households, results) ranges for one report.
ACTIVITY_VOLUMES: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "loudspeaker": ((150, 800), (80, 300), (1, 4)),
    "public_service": ((3, 25), (3, 20), (2, 20)),
    "app_install": ((5, 40), (4, 30), (5, 40)),
    "cashless": ((3, 20), (3, 15), (2, 15)),
    "ecommerce": ((1, 6), (1, 5), (1, 10)),
    "door_to_door": ((10, 60), (8, 40), (8, 40)),
    "training": ((15, 60), (10, 40), (1, 1)),
    "other": ((5, 30), (3, 20), (0, 0)),
}
ACTIVITY_WEIGHTS = [3, 4, 5, 3, 1, 4, 1, 1]  # door-to-door and app installs dominate, e-commerce is rarer
SILENT_SHARE = 0.12  # teams with no report in the last weeks: the list officers follow up


def _load_activities(session: Session, districts: list[Unit], rng: random.Random, *, today: date,
                     ends: dict[int, date] | None = None) -> int:
    """Reports from mid-2022 to today (or a team's day in `ends`) for every active demo team; some fall silent lately.

    They are filed under the team's legacy commune: the carry-over moves those dated from 01/07/2025.
    """
    first_day = date(2022, 7, 1)
    village, commune = aliased(Unit), aliased(Unit)
    teams = session.execute(
        select(Team.id, Team.unit_id, Team.established_on, Team.closed_on, village.tier, village.parent_id)
        .join(village, village.id == Team.unit_id)
        .join(commune, commune.id == func.coalesce(village.parent_id, village.id))
        .where(or_(commune.parent_id.in_([d.id for d in districts]), village.parent_id.in_([d.id for d in districts])))
        .order_by(Team.id)
    ).all()
    types = list(ACTIVITY_VOLUMES)
    rows: list[dict] = []
    for team_id, unit_id, established, closed, tier, parent_id in teams:
        commune_id = unit_id if tier == "commune" else parent_id
        end = (closed - timedelta(days=1)) if closed else min(today, (ends or {}).get(team_id, today))
        if rng.random() < SILENT_SHARE:
            end = min(end, today - timedelta(days=rng.randint(45, 200)))
        day = max(first_day, established) + timedelta(days=rng.randint(0, 10))
        while day <= end:
            kind = rng.choices(types, weights=ACTIVITY_WEIGHTS)[0]
            people, households, results = (rng.randint(*span) for span in ACTIVITY_VOLUMES[kind])
            rows.append(dict(team_id=team_id, unit_id=unit_id, commune_id=commune_id, activity_date=day,
                             activity_type=kind, people_reached=people, households_reached=min(households, people),
                             results=results, note=None))
            day += timedelta(days=rng.randint(4, 16))
    for i in range(0, len(rows), 5000):
        session.execute(insert(Activity), rows[i : i + 5000], execution_options=counts.REBUILT)
    counts.rebuild(session)  # the reports went in as one bulk insert: recount the kept tables once
    return len(rows)


# username, full name, role, where: None for the whole country, else (structure, unit names from the province
# down; "village" last for a volunteer: the first open village team under that commune).
LEGACY_ACCOUNTS: list[tuple[str, str, str, tuple[str, ...] | None]] = [
    ("admin", "Quản trị hệ thống", "admin", None),
    ("lanhdao.quangnam", "Lãnh đạo UBND tỉnh Quảng Nam", "leader", ("legacy",)),
    ("canbo.quangnam", "Cán bộ Sở Thông tin và Truyền thông", "officer", ("legacy",)),
    ("canbo.phuninh", "Cán bộ Phòng VH-TT huyện Phú Ninh", "officer", ("legacy", PHU_NINH)),
    ("lanhdao.phuninh", "Lãnh đạo UBND huyện Phú Ninh", "leader", ("legacy", PHU_NINH)),
    ("canbo.nuithanh", "Cán bộ Phòng VH-TT huyện Núi Thành", "officer", ("legacy", NUI_THANH)),
    ("canbo.tamphuoc", "Công chức VH-XH xã Tam Phước", "officer", ("legacy", PHU_NINH, "Xã Tam Phước")),
    ("tnv.tamphuoc", "Thành viên tổ CNSCĐ xã Tam Phước", "volunteer", ("legacy", PHU_NINH, "Xã Tam Phước", "village")),
]
# Accounts of today's structure (from 01/07/2025): the legacy ones above stay bound to their legacy units, which
# the administrator sees flagged with a suggested 2025 unit.
NEW_ACCOUNTS: list[tuple[str, str, str, tuple[str, ...] | None]] = [
    ("lanhdao.danang", "Lãnh đạo UBND thành phố Đà Nẵng", "leader", (NEW,)),
    ("canbo.xaphuninh", "Công chức Văn hóa - Xã hội xã Phú Ninh", "officer", (NEW, XA_PHU_NINH)),
    ("tnv.xaphuninh", "Thành viên tổ CNSCĐ xã Phú Ninh", "volunteer", (NEW, XA_PHU_NINH, "village")),
]
DEMO_ACCOUNTS = LEGACY_ACCOUNTS + NEW_ACCOUNTS


def _account_place(session: Session, where: tuple[str, ...]) -> tuple[int, int | None] | None:
    """The unit (and a volunteer's team) of an account's place, or None while that place is not loaded."""
    structure, *names = where
    code = PROVINCE_CODE if structure == "legacy" else NEW_PROVINCE_CODE
    unit = session.scalars(select(Unit).filter_by(structure=structure, tier="province", code=code)).one_or_none()
    for name in names:
        if unit is None or name == "village":
            break
        unit = session.scalars(select(Unit).filter_by(parent_id=unit.id, name=name)).one_or_none()
    if unit is None:
        return None
    if names and names[-1] == "village":
        # The commune's villages through the closure rows at depth 1: a carried village counts in both trees.
        team_id = session.scalar(
            select(Team.id).join(Unit, Unit.id == Team.unit_id)
            .join(UnitPath, and_(UnitPath.descendant_id == Unit.id, UnitPath.depth == 1))
            .where(UnitPath.ancestor_id == unit.id, Unit.tier == "village", Team.closed_on.is_(None))
            .order_by(Unit.name, Team.id).limit(1)
        )
        return None if team_id is None else (unit.id, team_id)
    return unit.id, None


def _load_accounts(session: Session, accounts: list[tuple[str, str, str, tuple[str, ...] | None]],
                   progress: Progress) -> None:
    """Create the demo accounts that are missing and whose place is loaded (they exist only with the demo)."""
    added = 0
    for username, full_name, role, where in accounts:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        unit_id: int | None = None
        team_id: int | None = None
        if where is not None:
            place = _account_place(session, where)
            if place is None:
                continue
            unit_id, team_id = place
        create_user(session, actor=SYSTEM, username=username, password=DEMO_PASSWORD, full_name=full_name,
                    role=role, unit_id=unit_id, team_id=team_id)
        added += 1
    if added:
        progress(f"Tài khoản mẫu: đã tạo {added} tài khoản (mật khẩu {DEMO_PASSWORD}).")
