"""The data directory (LEDGERBRIDGE_DATA_DIR): created private (0700), checked writable at
start-up, and the embedded SQLite database and its -wal/-shm files kept private (0600).

It holds the embedded database, the generated secret key and Fernet key, and the demo's admin
password: nothing in it is for anyone but the account Ledgerbridge runs as.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class DataDirError(Exception):
    """The data directory cannot be created or written; the message says which and what to do."""


def _fix(path: Path) -> str:
    return (
        f"Set LEDGERBRIDGE_DATA_DIR to a directory this user ({_user()}) can write, or make "
        f"{path} writable by it (e.g. chown it to that user)."
    )


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - not a POSIX system, or no passwd entry
        return str(os.getuid())


def prepare_data_dir(path: Path) -> Path:
    """Create `path` (mode 0700) if missing, make an existing one this user owns 0700, and prove
    a file can be written in it. Raises DataDirError, never a bare PermissionError."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise DataDirError(
            f"The data directory {path} cannot be created: {exc.filename} exists and is not a "
            f"directory. {_fix(path)}"
        ) from None
    except OSError as exc:
        raise DataDirError(
            f"The data directory {path} cannot be created ({exc.strerror}). {_fix(path)}"
        ) from None
    if not path.is_dir():
        raise DataDirError(f"The data directory {path} is not a directory. {_fix(path)}")
    info = path.stat()
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != DIR_MODE:
        path.chmod(DIR_MODE)
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-check-")
    except OSError as exc:
        raise DataDirError(
            f"The data directory {path} cannot be written ({exc.strerror}). {_fix(path)}"
        ) from None
    os.close(fd)
    os.unlink(probe)
    return path


def make_private(path: Path) -> None:
    """chmod an existing file this user owns to 0600 (quietly nothing if it is gone)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != FILE_MODE:
        path.chmod(FILE_MODE)


def keep_sqlite_private(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On every new SQLite connection (the `connection_created` signal), make the database file
    and its -wal/-shm files 0600. SQLite creates them with the process's umask (0644 by
    default); once the database is 0600, the -wal/-shm files it creates later copy that mode."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in SQLITE_SUFFIXES:
        make_private(Path(name + suffix))
