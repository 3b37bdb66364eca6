"""The user-facing labels of codes live in db/vocab.py only, so every page, chart and report names a code alike."""

import ast
from pathlib import Path

from db import vocab

ROOT = Path(__file__).parents[2]
# The import's cell parser maps the words people type ("tt", "thi tran") to unit kinds: input, not labels.
SKIPPED = {"db/vocab.py", "db/imports/cells.py"}


def _label_dicts(path: Path) -> list[int]:
    """Lines of dict literals mapping constant codes to Vietnamese text (a label dictionary)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict) or len(node.keys) < 2:  # one-entry dicts are values (audit extras), not labels
            continue
        keys_constant = all(isinstance(k, ast.Constant) for k in node.keys)
        texts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        if keys_constant and len(texts) == len(node.values) and any(not t.isascii() for t in texts):
            lines.append(node.lineno)
    return lines


def test_label_dictionaries_live_in_vocab():
    found = {
        str(path.relative_to(ROOT)): lines
        for folder in ("db", "ui", "report", "pages")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in SKIPPED and (lines := _label_dicts(path))
    }
    found.update({"app.py": lines} if (lines := _label_dicts(ROOT / "app.py")) else {})
    assert found == {}, f"label dictionaries outside db/vocab.py: {found}"


def test_every_code_list_has_its_labels():
    assert set(vocab.RESULT_LABELS) == set(vocab.ACTIVITY_TYPES) == set(vocab.ACTIVITY_SHORT)
    assert set(vocab.AUDIT_FIELDS) >= {"name", "established_on", "activity_date", "people_reached", "left_on"}
