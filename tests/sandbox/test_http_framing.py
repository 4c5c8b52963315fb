"""HTTP framing the sandbox must survive: bad Content-Length and bodies that never arrive.

RFC 9112 6.3: a Content-Length that is not a non-negative whole number is a 400, and a server
may not wait for ever for a body. Xero's front end answers such requests 400 too; the sandbox
bounds every read with `read_timeout_seconds` (1 s here, to keep the test short).
"""

from __future__ import annotations

import socket
import time
import urllib.parse

import pytest

from xero_sandbox.server import SandboxHandle
from xero_sandbox.settings import SandboxSettings


@pytest.fixture
def settings() -> SandboxSettings:
    return SandboxSettings(read_timeout_seconds=1.0)


def raw(sandbox: SandboxHandle, request: bytes) -> bytes:
    """Send bytes as they are and read the whole answer (the server closes the connection)."""
    url = urllib.parse.urlsplit(sandbox.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def put(length: str, body: bytes) -> bytes:
    return (
        b"PUT /api.xro/2.0/Contacts HTTP/1.1\r\nHost: sandbox\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + length.encode() + b"\r\n\r\n" + body
    )


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", ""])
def test_unreadable_content_length_is_400(sandbox: SandboxHandle, length: str) -> None:
    answer = raw(sandbox, put(length, b"{}") if length else put(" ", b"{}"))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]


def test_body_shorter_than_content_length_is_400_after_the_read_timeout(
    sandbox: SandboxHandle,
) -> None:
    started = time.monotonic()
    answer = raw(sandbox, put("100", b'{"Name": "x"}'))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    assert b"shorter than its Content-Length" in answer
    assert time.monotonic() - started < 20


def test_forged_huge_content_length_is_refused_unread(sandbox: SandboxHandle) -> None:
    answer = raw(sandbox, put(str(10**12), b"{}"))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]


def test_idle_connection_is_closed_and_the_server_still_answers(sandbox: SandboxHandle) -> None:
    url = urllib.parse.urlsplit(sandbox.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as idle:
        idle.sendall(b"GET / HTTP/1.1\r\n")  # never finishes its headers
        assert idle.recv(1024) == b""  # closed by the server after the read timeout
    assert raw(sandbox, b"GET / HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n").startswith(
        b"HTTP/1.1 200"
    )
