"""The app server: Streamlit's ASGI application for app.py, with the routes it serves beside the app.

- ui/live.py: the live-update socket;
- ui/signin.py: sign-in and sign-out (an HttpOnly cookie set by the server), and the gate that sends a
  page opened without a sign-in to the sign-in page;
- ui/quick.py: the volunteer's light report page for phones, which works offline.

`make run` starts it through `python -m ui.serve`, which passes on Streamlit's command-line options.

Streamlit decides on its first run whether the app uses the old `pages/` folder convention; this app
lists its pages with st.navigation instead, and a first request for a page's address must still go
through app.py (sign-in, the role's page list). Setting the flag where the server imports its app
makes that so from the very first request.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from ui import live, quick, signin
from ui.compress import StaticGzipMiddleware

PagesManager.uses_pages_directory = False
app = st.App(
    "app.py",
    routes=[*live.routes, *signin.routes, *quick.routes],
    # The outer one first: static files leave compressed; pages pass the sign-in gate.
    middleware=[Middleware(StaticGzipMiddleware), Middleware(signin.Gate)],
    lifespan=live.lifespan,
)
