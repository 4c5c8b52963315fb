"""One recorded HTTP exchange between a test and a sandbox (request and answer, as sent)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Exchange:
    method: str
    url: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
