"""Start the app server (server.py: app.py served by st.App, with the live-update socket).

`python -m ui.serve --server.port 8501` is `streamlit run server.py --server.port 8501`, from any folder.
"""

import sys
from pathlib import Path

from streamlit.web import cli

SERVER = Path(__file__).resolve().parent.parent / "server.py"


def main() -> None:
    """Run `streamlit run server.py` with the command-line options."""
    sys.argv = ["streamlit", "run", str(SERVER), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
