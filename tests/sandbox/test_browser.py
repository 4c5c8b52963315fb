"""The authorisation-code flow in Debian's Chromium: log in, pick an organisation, consent."""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from xero_sandbox.server import SandboxHandle

from .conftest import recording_client
from .flow import SCOPES, pkce_pair


class Callback:
    """The app's redirect URI: records the query string and shows a page."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.urlsplit(self.path).query
                outer.queries.append(dict(urllib.parse.parse_qsl(query)))
                page = b"<!doctype html><title>Connected</title><h1>Connected</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.browser
def test_authorisation_code_flow_in_chromium(sandbox: SandboxHandle, page: Any) -> None:

    callback = Callback()
    info = sandbox.info
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": info["client_id"],
        "redirect_uri": callback.url,
        "scope": SCOPES,
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = f"{sandbox.url}/identity/connect/authorize?{urllib.parse.urlencode(params)}"
    try:
        page.goto(url)
        assert page.title() == "Log in to Xero"
        page.get_by_label("Email").fill("demo@example.com")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Allow access").click()
        assert "incorrect" in page.get_by_role("alert").inner_text()
        page.get_by_label("Email").fill("demo@example.com")
        page.get_by_label("Password").fill("sandbox")
        page.get_by_label("Demo Company (AU)").check()
        page.get_by_role("button", name="Allow access").click()
        page.wait_for_url(callback.url + "*")
        assert page.get_by_role("heading").inner_text() == "Connected"
    finally:
        callback.server.shutdown()
        callback.server.server_close()
    query = next(q for q in callback.queries if "code" in q)
    assert query["state"] == "browser-state"
    with recording_client(sandbox.url) as http:
        answer = http.post(
            "/connect/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "redirect_uri": callback.url,
                "code_verifier": verifier,
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
        )
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        connections = http.get("/connections", headers={"Authorization": f"Bearer {token}"}).json()
        assert [c["tenantName"] for c in connections] == ["Demo Company (AU)"]
