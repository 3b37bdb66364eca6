"""The server routes beside the Streamlit app (ui/signin.py, ui/quick.py), served by Starlette on the test database.

The app behind the gate is a one-line stand-in for Streamlit's pages (the browser tests serve the real one);
everything in front of it — routes, gate, cookie, database — is the code `make run` serves.
"""

from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui import quick, signin
from ui.menu import PAGES

ORIGIN = "http://testserver"


def _streamlit_page(_request) -> PlainTextResponse:  # noqa: ANN001
    return PlainTextResponse("trang Streamlit")


@pytest.fixture
def client(engine) -> Iterator[Callable[..., TestClient]]:  # noqa: ANN001 - engine comes from tests/conftest.py
    """Make a browser-like client (its own cookie jar, its own address: `client(address)`) of the routes, on this test's database."""
    pages = [Route("/", _streamlit_page), *(Route(f"/{path}", _streamlit_page) for path in PAGES)]
    app = Starlette(routes=[*signin.routes, *quick.routes, *pages], middleware=[Middleware(signin.Gate)])
    made: list[TestClient] = []

    def build(address: str = "testclient") -> TestClient:
        made.append(TestClient(app, base_url=ORIGIN, follow_redirects=False, client=(address, 50000)))
        return made[-1]

    yield build
    for c in made:
        c.close()


def sign_in(client: TestClient, username: str, password: str, next_path: str = "/"):  # noqa: ANN201
    """POST the sign-in form as the page does (same origin)."""
    return client.post("/dang-nhap", data={"username": username, "password": password, "next": next_path},
                       headers={"Origin": ORIGIN})
