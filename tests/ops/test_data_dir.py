"""The data directory and the files in it are private (issue 9): the directory 0700, every file
0600 (the SQLite database and its -wal/-shm files, keys, the demo password, the sandbox's state
with its tokens); a directory that cannot be written stops start-up with a clear message."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from xero_sandbox.server import start

# Run in a real process against the data directory; it lists every file in the directory with
# its mode while its SQLite connection (and so the -wal/-shm files) is still open.
LIST_MODES = """
import os, stat
from django.conf import settings
from django.db import connection
from ledgerbridge.accounts.models import User
User.objects.create_user(username="x", password="Long-Enough-Pass-1")
User.objects.count()
for path in sorted(settings.DATA_DIR.rglob("*")):
    if path.is_file():
        print("MODE", path.name, oct(stat.S_IMODE(path.stat().st_mode)))
connection.close()
"""


def ledgerbridge(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGERBRIDGE_DATA_DIR": str(data_dir)}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "LEDGERBRIDGE_FERNET_KEYS"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "ledgerbridge.cli", *args],
        capture_output=True,
        text=True,
        env={**env, "SECRET_KEY": ""},
        timeout=180,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_is_0700_and_every_file_in_it_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "var"
    old_umask = os.umask(0o022)  # the usual umask, which alone would make files 0644
    try:
        migrated = ledgerbridge(data_dir, "migrate", "--verbosity", "0")
        assert migrated.returncode == 0, migrated.stderr
        listed = ledgerbridge(data_dir, "manage", "shell", "-c", LIST_MODES)
        assert listed.returncode == 0, listed.stderr
        demo = ledgerbridge(
            data_dir,
            "manage",
            "shell",
            "-c",
            "from ledgerbridge.demo import ensure_demo_admin; ensure_demo_admin()",
        )
        assert demo.returncode == 0, demo.stderr
    finally:
        os.umask(old_umask)

    assert mode(data_dir) == 0o700
    modes = dict(
        line.split()[1:] for line in listed.stdout.splitlines() if line.startswith("MODE ")
    )
    for name in ("ledgerbridge.sqlite3", "ledgerbridge.sqlite3-wal", "ledgerbridge.sqlite3-shm"):
        assert modes.get(name) == "0o600", (name, modes)
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"secret_key", "ledgerbridge.sqlite3", "demo-admin-password"} <= names
    assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    assert ledgerbridge(data_dir, "migrate", "--verbosity", "0").returncode == 0
    database = data_dir / "ledgerbridge.sqlite3"
    data_dir.chmod(0o755)
    database.chmod(0o644)  # as an older version left it
    count = "from ledgerbridge.accounts.models import User; User.objects.count()"
    assert ledgerbridge(data_dir, "manage", "shell", "-c", count).returncode == 0
    assert mode(data_dir) == 0o700
    assert mode(database) == 0o600


def test_a_data_directory_that_cannot_be_made_stops_start_up_clearly(tmp_path: Path) -> None:
    # Tests run as root, which ignores permission bits: a path under a regular file cannot be
    # created by anyone.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    data_dir = blocker / "var"
    for args in (("migrate",), ("serve", "--port", "1"), ("worker", "--once")):
        result = ledgerbridge(data_dir, *args)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr
        assert f"The data directory {data_dir} cannot be created" in result.stderr
        assert "Set LEDGERBRIDGE_DATA_DIR to a directory" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_data_directory_stops_start_up_clearly(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o500)
    result = ledgerbridge(data_dir, "migrate")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"The data directory {data_dir} cannot be written" in result.stderr


def test_sandbox_data_file_holding_tokens_is_0600(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.json"
    data.write_text("{}")
    data.chmod(0o644)  # left by an older version
    old_umask = os.umask(0o022)
    try:
        handle = start(seed=3, data=data)
        handle.stop()
    finally:
        os.umask(old_umask)
    assert "refresh_tokens" in data.read_text()
    assert mode(data) == 0o600
