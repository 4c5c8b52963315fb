"""Webhooks: intent-to-receive with good and bad signatures, signed batches, retries, disabling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from xero_sandbox.settings import SandboxSettings

from .conftest import Api


class Receiver:
    """A webhook endpoint as Xero expects: 200 to good signatures, 401 to bad ones."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.mode = "honest"  # "honest", "accept_all" or "fail"
        self.deliveries: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = base64.b64encode(
                    hmac.new(receiver.key.encode(), body, hashlib.sha256).digest()
                ).decode()
                good = hmac.compare_digest(expected, self.headers.get("x-xero-signature", ""))
                if receiver.mode == "fail":
                    code = 500
                elif receiver.mode == "accept_all":
                    code = 200
                else:
                    code = 200 if good else 401
                if good and code == 200:
                    receiver.deliveries.append(json.loads(body))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/xero/webhooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [e for d in self.deliveries for e in d["events"]]


@pytest.fixture
def settings() -> SandboxSettings:
    return SandboxSettings(webhook_batch_seconds=0.05, webhook_retry_seconds=[0.0, 1.0, 1.0])


@pytest.fixture
def receiver(api: Api) -> Iterator[Receiver]:
    hook = Receiver(api.handle.info["webhook_key"])
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def wait_for(check: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_intent_to_receive_then_signed_batched_events(api: Api, receiver: Receiver) -> None:
    status = api.admin("webhook", {"url": receiver.url}).json()
    assert status["status"] == "ACTIVE"
    probes = [a for a in status["attempts"] if a["kind"] == "intent_to_receive"]
    assert sorted((a["signed_correctly"], a["status"]) for a in probes) == [
        (False, 401),
        (False, 401),
        (True, 200),
        (True, 200),
    ]
    assert all(d["events"] == [] for d in receiver.deliveries)
    receiver.deliveries.clear()
    contact = api.put("Contacts", {"Contacts": [{"Name": "Hooked"}]}).json()["Contacts"][0]
    api.post(f"Contacts/{contact['ContactID']}", {"EmailAddress": "a@example.com"})
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
    invoice = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "LineItems": [line],
                    "Contact": {"ContactID": contact["ContactID"]},
                }
            ]
        },
    ).json()["Invoices"][0]
    # A Xero user approves and pays it in Xero.
    api.admin(f"organisations/{api.tenant_id}/invoices/{invoice['InvoiceID']}/approve", {})
    api.admin(f"organisations/{api.tenant_id}/invoices/{invoice['InvoiceID']}/pay", {})
    api.admin(f"organisations/{api.tenant_id}/contacts/{contact['ContactID']}/archive", {})
    wait_for(lambda: len(receiver.events()) >= 6)
    seen = [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in receiver.events()]
    cid, iid = contact["ContactID"], invoice["InvoiceID"]
    assert seen == [
        ("CONTACT", "CREATE", cid),
        ("CONTACT", "UPDATE", cid),
        ("INVOICE", "CREATE", iid),
        ("INVOICE", "UPDATE", iid),
        ("INVOICE", "UPDATE", iid),
        ("CONTACT", "UPDATE", cid),
    ]
    event = receiver.events()[0]
    assert event["tenantId"] == api.tenant_id and event["tenantType"] == "ORGANISATION"
    assert event["resourceUrl"].endswith(f"/api.xro/2.0/Contacts/{cid}")
    assert "Z" not in event["eventDateUtc"] and "eventSequence" not in event
    firsts = [d["firstEventSequence"] for d in receiver.deliveries]
    lasts = [d["lastEventSequence"] for d in receiver.deliveries]
    assert firsts[0] == 1 and lasts[-1] == 6 and all(d["entropy"] for d in receiver.deliveries)


def test_endpoint_accepting_bad_signatures_fails_intent_to_receive(
    api: Api, receiver: Receiver
) -> None:
    receiver.mode = "accept_all"
    status = api.admin("webhook", {"url": receiver.url}).json()
    assert status["status"] == "ITR_FAILED"
    receiver.deliveries.clear()
    api.put("Contacts", {"Contacts": [{"Name": "Not sent"}]})
    time.sleep(0.3)
    assert receiver.deliveries == []


def test_retries_then_disabled_then_replayed_after_recovery(api: Api, receiver: Receiver) -> None:
    api.admin("webhook", {"url": receiver.url})
    receiver.mode = "fail"
    api.put("Contacts", {"Contacts": [{"Name": "Lost for now"}]})
    wait_for(lambda: api.admin("webhook").json()["status"] == "DISABLED")
    attempts = [a for a in api.admin("webhook").json()["attempts"] if a["kind"] == "events"]
    assert [a["status"] for a in attempts] == [500, 500, 500, 500]  # first try + 3 retries
    receiver.mode = "honest"
    assert api.admin("webhook", {"url": receiver.url}).json()["status"] == "ACTIVE"
    wait_for(lambda: len(receiver.events()) == 1)
    assert receiver.events()[0]["eventType"] == "CREATE"
