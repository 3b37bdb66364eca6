"""The shape of the code, checked: who imports whom, where SQL may live, and that every read and write an
actor can call is in the permission matrix. Read from the source (AST), so a breach fails before it ships."""

import ast
import importlib
import inspect
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("db", "ui", "report", "seed", "pages", "bench")
NO_STREAMLIT = ("db", "report", "seed")
# The flow ARCHITECTURE.md draws: pages → ui → report/db, seed → db, bench → anything but pages.
SQL_WORDS = ("select(", "Session(", "SessionLocal", ".commit(", "sqlalchemy")
# A word starting with a letter counts on its own only: st.multiselect( is not SQL, session.commit( is.
SQL_PATTERNS = [re.compile((r"(?<!\w)" if word[0].isalpha() else "") + re.escape(word)) for word in SQL_WORDS]


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations/versions" not in p.as_posix())


def _imports(path: Path) -> set[str]:
    """Every module named by an import statement in the file (absolute names; relative ones are not used here)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _package_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in PACKAGES or top == "app" else None


@pytest.mark.parametrize("package", NO_STREAMLIT)
def test_db_report_and_seed_never_import_streamlit(package: str) -> None:
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p in _sources(package) for m in _imports(p)
                 if m.split(".")[0] == "streamlit"]
    assert offenders == []


def test_pages_hold_no_sql() -> None:
    """Pages read widgets and call db/ functions: no SQLAlchemy, no session, no statement of their own."""
    offenders = []
    for path in _sources("pages") + [ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {p.pattern}" for p in SQL_PATTERNS if p.search(text)]
    assert offenders == []


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in _sources(package):
            for module in _imports(path):
                target = _package_of(module)
                if target and target != package:
                    graph[package].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path, or None (depth-first search with colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_cycle_between_top_level_packages() -> None:
    graph = _package_graph()
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])
    assert "pages" not in {t for targets in graph.values() for t in targets}, "nothing imports a page"


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a graph with a loop is reported with its path."""
    assert _cycle({"report": {"ui"}, "ui": {"db", "report"}}) == ["report", "ui", "report"]
    assert _cycle({"ui": {"db", "report"}, "report": {"db"}}) is None


def _db_functions_taking_an_actor() -> dict[str, str]:
    """name → module of every public function defined in db/ that takes an `actor` argument."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages([str(ROOT / "db")], prefix="db."):
        if ".migrations" in info.name or info.name == "db.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and "actor" in inspect.signature(fn).parameters:
                found[name] = module.__name__
    return found


def test_every_db_function_taking_an_actor_is_in_the_permission_matrix() -> None:
    from tests.db.test_permissions import NOT_IN_MATRIX, RULES

    functions = _db_functions_taking_an_actor()
    missing = sorted(f"{module}.{name}" for name, module in functions.items() if name not in RULES and name not in NOT_IN_MATRIX)
    assert missing == [], "add these to RULES in tests/db/test_permissions.py (or to NOT_IN_MATRIX with the reason)"
    stale = sorted(set(RULES) - set(functions))
    assert stale == [], "rules for functions that no longer exist"
    assert len(functions) > 30  # the walk really found the db layer
