"""DESIGN's layering, checked on the source: the domain apps never reach into the Xero
integration (it plugs in through `ledgerbridge.integrations`), and Xero's words stay in it."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ledgerbridge"
DOMAIN = ("customers", "suppliers", "catalog", "work", "billing", "purchasing", "tracking", "sync")
LEAK = re.compile(r'xero_|"xero\.|ledgerbridge\.xero')


def test_domain_apps_import_nothing_from_the_xero_integration():
    leaks = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for app in DOMAIN
        for path in sorted((SRC / app).rglob("*"))
        if path.suffix in {".py", ".html"}
        and "migrations" not in path.parts
        and path.name != "legacy.py"  # the migrations' helper reads the old columns by name
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if LEAK.search(line)
    ]
    assert leaks == []
