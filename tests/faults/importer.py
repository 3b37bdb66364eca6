"""A child "app process" for the kill -9 import test: one Excel import through run_write.

Run as `python -m tests.faults.importer FILE.xlsx` with DATABASE_URL set. Progress steps are printed as they
come; with PAUSE_AT set (e.g. "0.8"), the import stops at that step, inside its write transaction, long
enough for the parent to kill the process there. "done" is printed after the commit.
"""

import os
import sys
import time
from pathlib import Path

from db.auth import SYSTEM
from db.imports import apply_import
from db.transactions import run_write


def main() -> None:
    """Import the workbook, reporting each step on stdout."""
    pause_at = float(os.environ.get("PAUSE_AT", "2"))

    def progress(fraction: float, message: str) -> None:
        print(f"progress {fraction:.2f} {message}", flush=True)
        if fraction >= pause_at:
            time.sleep(120)  # the parent kills us here, mid-transaction

    run_write(apply_import, actor=SYSTEM, source=Path(sys.argv[1]).read_bytes(), progress=progress)
    print("done", flush=True)


if __name__ == "__main__":
    main()
