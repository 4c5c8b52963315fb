"""Secrets at rest: Fernet encryption with key rotation (MultiFernet) for tokens and keys.

Keys come from `LEDGERBRIDGE_FERNET_KEYS` (comma-separated, newest first), or, in the embedded
set-up, from a key file generated with mode 0600 in the data directory. To rotate: put a new key
first in the list, run `ledgerbridge rotate-keys` (re-encrypts every stored secret with it), then
drop the old key.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / "fernet.key"


def _load_keys() -> list[bytes]:
    configured = [k.strip() for k in settings.FERNET_KEYS if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    path = _key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(50):
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            key = Fernet.generate_key()
            # Written whole, then linked into place, so a racing process never reads it half done.
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
            try:
                os.link(partial, path)
            except FileExistsError:
                continue  # another process made it first: read that one
            finally:
                partial.unlink()
            return [key]
        if key:
            return [key]
    raise SecretUnreadable(f"{path} is empty; restore the key file")


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _load_keys()])


def reset_keys() -> None:
    """Forget the loaded keys (after the key settings changed)."""
    _fernet.cache_clear()


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with the configured keys "
            "(LEDGERBRIDGE_FERNET_KEYS or the key file); restore the old key."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a stored secret with the newest key."""
    return _fernet().rotate(token.encode()).decode()
