"""AppTest helpers: run app.py in-process against the test's fresh database."""

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from db.access import Actor
from ui import data

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Cached reads are keyed on the data version, which restarts with every fresh database."""
    data.forget()


@pytest.fixture(autouse=True)
def _no_hidden_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a page test when ui/guard.py turned an error into a message: `not at.exception` alone no longer sees bugs.

    A test that provokes such an error on purpose calls caplog.clear() once it has checked it.
    """
    yield
    hidden = [r for r in caplog.get_records("call") if r.name == "ui.guard" and r.levelno >= logging.WARNING]
    assert not hidden, "a page failed behind the Vietnamese message:\n" + "\n".join(
        f"{r.getMessage()}: {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in hidden)


@pytest.fixture
def app(engine) -> Callable[[Actor | None], AppTest]:  # noqa: ANN001 - engine comes from tests/conftest.py
    """Build an AppTest of the whole app, signed in as `actor` (or at the sign-in form for None)."""

    def build(actor: Actor | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        if actor is not None:
            at.session_state["auth_actor"] = actor
        return at

    return build


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to one of the app's pages by file name ("teams_page") and run it."""
    return at.switch_page(f"pages/{page}.py").run()


def texts(at: AppTest) -> str:
    """Everything the page wrote as markdown, captions, titles and headers, joined for searching."""
    parts = [e.value for kind in ("markdown", "caption", "title", "header", "subheader") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def open_address(at: AppTest, url_path: str) -> AppTest:
    """Open a page by its address, as a user typing /teams in the browser does.

    AppTest's public switch_page() only reaches file pages the role was given; a typed address
    is a page hash computed from the url path, which is what Streamlit's st.Page uses.
    """
    at._page_hash = calc_hash(url_path)  # noqa: SLF001 - the only way to type an address in AppTest
    return at.run()


def button(at: AppTest, label: str):  # noqa: ANN201 - AppTest's Button element
    """The one button (form submit buttons included) with this label."""
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, f"expected one button {label!r}, found {len(matches)}"
    return matches[0]
