"""Figure 10: hostile uploads (issue 14): what a small file that is huge unpacked or decoded costs the server.

Each case runs in its own Python process, so its peak memory (the child's own high-water mark, VmHWM) is
its own and not the benchmark's; the seconds are the work alone, after the imports:
- workbooks: `read_workbook`, what the Địa bàn and Tổ CNSCĐ pages run on an upload before the preview
  (the plan that follows only matches the rows read, a handful here);
- photos: `check_photo` on a pixel bomb (refused from its header), `store_photo` on a 12-megapixel camera
  JPEG (turned upright, saved again without metadata, one thumbnail), into a throwaway folder.

The process itself (Python, pandas, SQLAlchemy, Pillow, openpyxl imported) is measured as the baseline.
Run alone: `.venv/bin/python -m bench.uploads`; `make bench` runs it as figure 10.
"""

import io
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.hostile import LAST_ROW, formatted_rows, png_bilevel, sheet, table, workbook

SECONDS_TARGET = 5.0  # a bad file is refused or read well within an officer's patience
EXTRA_MB_TARGET = 200.0  # memory above the bare process: a few such uploads at once do not starve the server


def _twenty_sheets() -> bytes:
    """The issue's bomb: 20 sheets, a header and one cell at Excel's last row on each (15 KB)."""
    return workbook([(f"Xã {i}", sheet([*table([["Xã", "Thôn"]]), *table([["Tam Phước", "Thôn cuối"]], start=LAST_ROW)]))
                     for i in range(20)])


def _formatted_to_the_end() -> bytes:
    """A real list of 30 teams whose formatting runs down to row 1,048,576, as Excel writes it."""
    rows = [["STT", "Xã", "Thôn", "Tên tổ"]] + [[i, "Tam Phước", f"Thôn {i}", f"Tổ CNSCĐ thôn {i}"] for i in range(1, 31)]
    return workbook([("Danh sách", sheet([*table(rows), *formatted_rows(32)], dimension=f"A1:D{LAST_ROW}"))])


def _camera_jpeg() -> bytes:
    """A 4000 × 3000 photo with some texture, as a phone's camera sends it (a few MB, under the 5 MB limit)."""
    from PIL import Image

    buf = io.BytesIO()
    texture = Image.frombytes("L", (1000, 750), random.Random(7).randbytes(1000 * 750)).resize((4000, 3000))
    Image.merge("RGB", (texture, texture.rotate(180), Image.linear_gradient("L").resize((4000, 3000)))).save(
        buf, format="JPEG", quality=85)
    return buf.getvalue()


def _read(data: bytes) -> None:
    from db.imports import read_workbook

    read_workbook(data)


def _refuse_photo(data: bytes) -> None:
    from db.errors import UserError
    from db.photos import check_photo

    try:
        check_photo(data)
    except UserError:
        return
    raise SystemExit("the pixel bomb was accepted")


def _store_photo(data: bytes) -> None:
    from db.photos import store_photo

    store_photo(data)


@dataclass(frozen=True)
class Case:
    """One upload: how its file is made and what the server does with it."""

    title: str
    make: Callable[[], bytes]
    run: Callable[[bytes], None]


CASES = {
    "bomb": Case("Excel: 20 sheets, one cell at row 1,048,576 each, read", _twenty_sheets, _read),
    "formatted": Case("Excel: 30 rows, formatting down to row 1,048,576, read", _formatted_to_the_end, _read),
    "pixels": Case("photo: PNG of 13,000 × 13,000 px, refused", lambda: png_bilevel(13_000, 13_000), _refuse_photo),
    "camera": Case("photo: 12 MP camera JPEG, stored (upright, no metadata, thumbnail)", _camera_jpeg, _store_photo),
}


@dataclass(frozen=True)
class Cost:
    """One case's measurement."""

    case: str
    title: str
    kilobytes: float  # the file's size
    seconds: float
    peak_mb: float  # the whole process's peak
    extra_mb: float  # above the bare process's peak


def _child(name: str | None, folder: str) -> None:
    """In the child process: read the uploaded file, do the work, print the seconds it took."""
    os.environ["DATA_DIR"] = folder
    import db.imports  # noqa: F401 - the bare process imports what a server has loaded
    import db.photos  # noqa: F401

    seconds = 0.0
    if name is not None:
        data = (Path(folder) / f"{name}.upload").read_bytes()  # the upload is in memory, as Streamlit hands it over
        started = time.perf_counter()
        CASES[name].run(data)
        seconds = time.perf_counter() - started
    print(seconds, _peak_kib())


def _peak_kib() -> int:
    """This process's own peak resident memory (VmHWM), in KiB.

    Not the parent's `ru_maxrss` of the child: Linux counts in it the memory of the process it was forked
    from, up to its exec, so a big parent (a test run) would hide what the child used.
    """
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def _run(name: str | None, folder: str) -> tuple[float, float]:
    """(seconds, peak MB) of one case in a fresh process."""
    done = subprocess.run([sys.executable, "-m", "bench.uploads", "--child", name or "-", folder],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise RuntimeError(f"case {name} failed: {done.stderr[-2000:]}")
    seconds, peak_kib = done.stdout.split()
    return float(seconds), int(peak_kib) / 1024


def measure(say: Callable[[str], None] = print) -> list[Cost]:
    """Every case, each in its own process, against the bare process's peak."""
    with tempfile.TemporaryDirectory() as folder:
        _, bare = _run(None, folder)
        costs = []
        for name, case in CASES.items():
            say(f"uploads: {case.title}")
            upload = Path(folder) / f"{name}.upload"
            upload.write_bytes(case.make())
            seconds, peak = _run(name, folder)
            costs.append(Cost(name, case.title, upload.stat().st_size / 1024, seconds, peak, max(0.0, peak - bare)))
    return costs


def main() -> None:
    """Print the figures (or, with --child, run one case)."""
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(None if sys.argv[2] == "-" else sys.argv[2], sys.argv[3])
        return
    for c in measure(say=lambda m: print(m, file=sys.stderr)):
        print(f"{c.title}: {c.kilobytes:,.1f} KB file, {c.seconds:.2f} s, peak {c.peak_mb:.0f} MB (+{c.extra_mb:.0f} MB)")


if __name__ == "__main__":
    main()
