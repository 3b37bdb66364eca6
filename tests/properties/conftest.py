"""Bad-input property tests: a tally of the cases hypothesis tried, printed at the end of the run.

The tally is also written to test-artifacts/hypothesis-cases.json for the closing note of issue 8.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# (backend, write function) → {"stored": n, "refused": n}
TALLY: dict[tuple[str, str], Counter] = defaultdict(Counter)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many generated inputs each write function was given, per backend, and how they ended."""
    if not TALLY:
        return
    terminalreporter.section("bad input: hypothesis cases tried")
    totals: Counter = Counter()
    rows = []
    for (backend, function), counts in sorted(TALLY.items()):
        n = counts["stored"] + counts["refused"]
        totals[backend] += n
        rows.append({"backend": backend, "function": function, "cases": n, **counts})
        terminalreporter.write_line(f"{backend:<11} {function:<24} {n:>5} cases: {counts['stored']:>4} stored exactly, "
                                    f"{counts['refused']:>4} refused with a Vietnamese message")
    for backend, n in sorted(totals.items()):
        terminalreporter.write_line(f"{backend}: {n} cases in all")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "hypothesis-cases.json").write_text(
        json.dumps({"per_function": rows, "per_backend": dict(totals)}, indent=1, ensure_ascii=False), encoding="utf-8")
