"""Names and notes typed by users are shown as typed on every page: never a link, an image, an icon or a colour.

Streamlit renders Markdown (with its own shortcodes, directives and autolinks) in st.markdown, captions, alerts,
toasts, button, tab, expander and widget labels and help. A unit, team, member, account, report note and
recommendation named with that syntax are rendered on every page of every role, and every Markdown-rendered
string of every element that carries such a name is checked for live syntax. The check reads the Markdown
source Streamlit sends, independently of ui.widgets.md: it fails when any one call site forgets the escape.
"""

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from google.protobuf.message import Message
from sqlalchemy.orm import Session

from db import activities, recommendations
from db.auth import actor_of
from db.models import Member, Unit, User
from tests import factories
from tests.db.test_imports import MESSY, MESSY_MERGES, xlsx
from ui.menu import ROLE_PAGES
from ui.widgets import md

# What the probe used, plus a colour directive, bold and HTML. 137 characters: a unit or a team.
HOSTILE = ("![](http://example.invalid/p.png) [Cổng dịch vụ công](http://example.invalid/login) :material/home: "
           ":rocket: :red[đỏ] **đậm** <img src=x>")
# A person's name holds 120 characters.
HOSTILE_SHORT = "![](http://example.invalid/p.png) [Cổng](http://example.invalid/x) :material/home: :rocket: :red[đỏ] **đậm**"
MARKER = "example"  # in every hostile text, escaped or not; in no text of the app's own

# Markdown that would turn a hostile text into something else than its characters.
LIVE_MARKUP = {
    "link or image": re.compile(r"(?<!\\)\]\("),
    "image": re.compile(r"(?<!\\)!\["),
    "icon or emoji shortcode": re.compile(r":(?:material/)?[A-Za-z0-9_+-]+:"),
    "colour directive": re.compile(r":[a-z][a-z0-9-]*\["),
    "bare link": re.compile(r"https?://|www\.", re.IGNORECASE),
    "the hostile bold": re.compile(r"(?<!\\)\*\*đậm"),  # the app's own labels are bold in places
    "HTML": re.compile(r"(?<!\\)<(?:img|b)\b"),
}
# Proto fields Streamlit renders as Markdown; options, values and placeholders are plain text.
MARKDOWN_FIELDS = {"body", "label", "help", "text", "caption"}
# Elements whose strings are not Markdown: escaped HTML, code, data and charts.
NOT_MARKDOWN = {"html", "code", "arrow_data_frame", "arrow_table", "json", "vega_lite_chart", "arrow_vega_lite_chart",
                "deck_gl_json_chart", "imgs", "image"}


def live_markup(source: str) -> list[str]:
    """The kinds of live Markdown syntax in a Markdown source."""
    return [kind for kind, pattern in LIVE_MARKUP.items() if pattern.search(source)]


def _unescape(escaped: str) -> str:
    """What a reader sees of an escaped text: backslash escapes resolved, word joiners invisible."""
    return re.sub(r"\\(.)", r"\1", escaped).replace("\u2060", "")


# ---- the escape itself ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    HOSTILE,
    HOSTILE_SHORT,
    "Xem https://example.invalid/a và www.example.invalid, thư cho a@example.invalid",
    ":streamlit: :help[x] :small[x] :blue-background[nền] :violet[tím] ::rocket:: :+1: :material/check_circle:",
    "$x^2$ và $$\\sqrt{2}$$ -> <- <-> -- >= <= ~= &amp; &#58;",
    "# Tiêu đề\n- mục\n1. mục\n> trích\n| a | b |\n|---|---|\nchữ\n===\n`mã` ~~gạch~~ _nghiêng_ [^1]",
    "Thôn Phú Mỹ (Tổ 1) – số 12/QĐ-UBND: 30 người",
])
def test_the_escape_leaves_no_markup_and_shows_every_character(text):
    escaped = md(text)
    assert live_markup(escaped) == []
    assert _unescape(escaped) == text  # shown as typed, character for character
    for raw in ("**", "->", "<-", "--", ">=", "www.", "@example"):
        assert raw not in escaped
    assert not re.search(r"(?<!\\)[$&|`~_*<>\[\]]", escaped)  # LaTeX, entities, tables, code, emphasis, HTML, links
    assert not re.search(r"^[ \t]*(?:[#+=-]|[0-9]+[.)])", escaped, re.MULTILINE)  # headings, lists, underlines


def test_the_escape_keeps_plain_text_and_punctuation_as_they_are():
    for text in ("Thôn Phú Mỹ, Xã Tam Phước", "Tên đăng nhập hoặc mật khẩu không đúng.", "Tổ 1 (thôn 2) - số 12!"):
        assert md(text) == text


# ---- every page, every role ------------------------------------------------------------------------


def _hostile_world(session: Session) -> dict:
    """A province → district → commune → village chain, a team, members, accounts, a report and a recommendation,
    every one named with Markdown; one account of each role."""
    province = factories.create_unit(session, parent=None, tier="province", kind="Tỉnh", short=f"{HOSTILE} 1")
    district = factories.create_unit(session, parent=province, tier="district", kind="Huyện", short=f"{HOSTILE} 2")
    commune = factories.create_unit(session, parent=district, tier="commune", kind="Xã", short=f"{HOSTILE} 3")
    village = factories.create_unit(session, parent=commune, tier="village", kind="Thôn", short=f"{HOSTILE} 4")
    free = factories.create_unit(session, parent=commune, tier="village", kind="Thôn", short=HOSTILE_SHORT)  # no team
    team = factories.create_team(session, unit=village, name=f"Tổ {HOSTILE}", established_on=date(2022, 7, 1))
    team.decision_no = "[QĐ](http://example.invalid) :rocket:"
    for i, role in enumerate(("leader", "member")):
        session.add(Member(team_id=team.id, full_name=f"{HOSTILE_SHORT[:110]} {i}", role=role, organisation="other",
                           position=HOSTILE_SHORT, joined_on=date(2022, 7, 1)))
    units = {"admin": None, "officer": commune, "leader": district}
    users = {role: factories.create_user(session, role=role, unit=units[role], username=f"hostile.{role}")
             for role in ("admin", "officer", "leader")}
    users["volunteer"] = factories.create_user(session, role="volunteer", team=team, username="hostile.volunteer")
    for user in users.values():
        user.full_name = HOSTILE_SHORT
    session.flush()
    actors = {role: actor_of(session.get(User, user.id)) for role, user in users.items()}
    activities.create_activity(session, actor=actors["volunteer"], data=activities.ActivityInput(
        team_id=team.id, activity_date=date.today() - timedelta(days=1), activity_type="public_service",
        people_reached=3, households_reached=2, results=1, note=HOSTILE))
    recommendations.create_recommendation(session, actor=actors["volunteer"], unit_id=None, category="proposal",
                                          text=HOSTILE)
    session.commit()
    return {"actors": actors, "village": village, "commune": commune, "free": free}


def _walk(node) -> Iterator:  # noqa: ANN001 - AppTest's tree nodes
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _markdown_strings(message: Message) -> Iterator[str]:
    """Every string of a proto that Streamlit renders as Markdown, nested messages included."""
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in values:
                yield from _markdown_strings(item)
        elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
            yield from values


def _shown_names(at) -> list[str]:  # noqa: ANN001
    """The Markdown sources on the page that carry a hostile text, after checking none has live markup."""
    assert not at.exception, [e.value for e in at.exception]
    found = []
    for node in _walk(at._tree):  # noqa: SLF001 - AppTest has no public walk over every element and block
        proto = getattr(node, "proto", None)
        if proto is None or getattr(node, "type", None) in NOT_MARKDOWN or not isinstance(proto, Message):
            continue
        for source in _markdown_strings(proto):
            if MARKER in source:
                assert live_markup(source) == [], f"{node.type} renders user text as Markdown: {source!r}"
                found.append(source)
    return found


def _tab_labels(at, key: str) -> list[str]:  # noqa: ANN001
    """The labels of the page's keyed tabs (empty when the page has none)."""
    for node in _walk(at._tree):  # noqa: SLF001
        if getattr(node, "type", None) == "tab_container" and node.proto.id and key in node.proto.id:
            return [child.label for child in node.children.values()]
    return []


TAB_KEYS = {"teams": "teams_tab", "activities": "activities_tab", "reports": "reports_tab", "coverage": "coverage_tab"}


@pytest.mark.parametrize("role", ["admin", "officer", "leader", "volunteer"])
def test_every_page_shows_hostile_names_as_text(app, session, role):
    world = _hostile_world(session)
    actor = world["actors"][role]
    seen: list[str] = []
    for page in ROLE_PAGES[role]:
        at = app(actor)
        if role != "volunteer":  # deep in the address: the breadcrumb lists every hostile ancestor
            at.query_params["unit"] = str(world["village"].id)
        at.run().switch_page(f"pages/{page}_page.py").run()
        seen += _shown_names(at)
        key = TAB_KEYS.get(page)
        for label in _tab_labels(at, key) if key else []:
            at.session_state[key] = label  # what a click on the tab sends (on_change="rerun")
            seen += _shown_names(at.run())
    # The sidebar's name and unit, the breadcrumb, the headings: the sweep did meet the names.
    assert len(seen) >= 3 * len(ROLE_PAGES[role]), seen


def test_import_result_shows_the_file_and_skipped_sheet_names_as_text(app, session):
    world = _hostile_world(session)
    at = app(world["actors"]["officer"]).run()
    at.switch_page("pages/villages_page.py").run()
    # An Excel sheet name holds 31 characters and no []:*?/\ ; the file name holds anything.
    sheet = "<img src=x> $x$ _a_ example"
    data = xlsx(*MESSY, merges=MESSY_MERGES, extra={sheet: [["ghi chú"]]})
    nonce = at.session_state["villages_import_nonce"]
    at.file_uploader(key=f"imports_file_villages_import_{nonce}").set_value((f"{HOSTILE}.xlsx", data, "application/octet-stream"))
    shown = _shown_names(at.run())
    assert any(md(sheet) in s for s in shown), shown  # the "skipped sheets" caption
    assert any(md(f"{HOSTILE}.xlsx") in s for s in shown), shown


def test_an_error_quoting_a_hostile_name_is_shown_as_text(app, session):
    world = _hostile_world(session)
    at = app(world["actors"]["officer"]).run()
    at.switch_page("pages/villages_page.py").run()
    village: Unit = world["free"]  # its name fits the form's 120 characters
    at.text_input(key=f"villages_name_{world['commune'].id}_0").input(village.short_name)
    at.selectbox(key="villages_kind").select("Thôn")
    next(b for b in at.button if b.label == "Thêm").click().run()
    errors = [e.proto.body for e in at.error]
    assert any("đã có trong" in e for e in errors), errors  # “Thôn …” đã có trong Xã …
    _shown_names(at)
