"""The shape of the seam, read from the source: one place makes HTTP clients for Xero, and the
integration's modules import each other without cycles or imports hidden inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

XERO = Path(__file__).resolve().parents[2] / "src" / "ledgerbridge" / "xero"
HTTP_CALLS = {"Client", "AsyncClient", "HTTPTransport", "request", "get", "post", "put", "delete"}


def modules() -> dict[str, ast.Module]:
    """Every module of the package, by its dotted name below `ledgerbridge.xero`."""
    found = {}
    for path in sorted(XERO.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(XERO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text())
    return found


def test_only_transport_makes_http_clients_for_xero():
    makers = {
        name
        for name, tree in modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "httpx"
        and node.func.attr in HTTP_CALLS
    }
    assert makers == {"transport"}


def _local(module: str | None) -> str | None:
    prefix = "ledgerbridge.xero."
    return module[len(prefix) :] if module and module.startswith(prefix) else None


def test_the_xero_modules_import_each_other_without_cycles_or_hidden_imports():
    graph: dict[str, set[str]] = {}
    hidden = []
    for name, tree in modules().items():
        graph[name] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                if target := _local(node.module):
                    graph[name].add(target)
                elif node.module == "ledgerbridge.xero":
                    graph[name].update(a.name for a in node.names)
        for node in ast.walk(tree):
            # AppConfig.ready() is Django's one place for imports that need ready models.
            ready = name == "apps" and getattr(node, "name", "") == "ready"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not ready:
                hidden += [
                    f"{name}:{inner.lineno}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
    assert hidden == []

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [m for m in graph if reaches(m, m, {m})] == []
