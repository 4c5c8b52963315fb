"""User-visible text speaks the user's words: no requirement IDs ("PROD-3", "TRK-4") in any
message, label, help text or template. Comments, docstrings and tests may cite them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ledgerbridge

REQUIREMENT_ID = re.compile(
    r"\b(?:CONN|CUST|SUP|PROD|TRK|CHG|SYNC|GEN|REQ|INV|PO|WH|ERR|TAX)-\d+\b"
)
ROOT = Path(ledgerbridge.__file__).parent


def _sources() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*"))
        if path.suffix in {".py", ".html", ".js", ".txt"} and "migrations" not in path.parts
    ]


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module except docstrings (which only developers read)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_requirement_ids_in_user_visible_text() -> None:
    found = []
    for path in _sources():
        if path.suffix == ".py":
            texts = _strings(path)
        else:
            lines = path.read_text(encoding="utf-8").splitlines()
            # Template comments ({# ... #}) are for developers.
            texts = [(n, re.sub(r"\{#.*?#\}", "", t)) for n, t in enumerate(lines, start=1)]
        found += [
            f"{path.relative_to(ROOT)}:{n}: {text.strip()[:100]}"
            for n, text in texts
            if REQUIREMENT_ID.search(text)
        ]
    assert not found, "\n".join(found)
