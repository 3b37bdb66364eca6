"""Start the Streamlit server with the legacy `pages/` discovery switched off.

Streamlit decides on its first run whether the app uses the old `pages/` folder convention; this
app lists its pages with st.navigation instead, and a first request for a page's address must
still go through app.py (sign-in, the role's page list). Setting the flag before the server starts
makes that so from the very first request.
"""

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli


def main() -> None:
    """Run `streamlit run` with the remaining command-line arguments."""
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
