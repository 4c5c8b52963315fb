"""Bad input the sandbox must survive (issue 10): numbers, NaN, non-objects, unreadable queries,
admin input, and the token endpoint's redirect_uri check. Each answer is Xero's, never a 500."""

from __future__ import annotations

import json
from typing import Any

from xero_sandbox.server import SandboxHandle

from .conftest import Api, recording_client
from .flow import consent, exchange

DELIBERATE = {"X-Test-Invalid": "deliberate"}
LINE = {"Description": "Work", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}


def invoice(contact: dict[str, Any], **line: Any) -> dict[str, Any]:
    return {"Type": "ACCREC", "Contact": contact, "LineItems": [{**LINE, **line}]}


def contacts_named(api: Api, name: str) -> list[dict[str, Any]]:
    answer = api.get("Contacts", params={"where": f'Name=="{name}"'})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["Contacts"]
    return found


def no_bare_nan(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"invalid JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_huge_numbers_are_a_validation_error_and_the_element_leaves_no_trace(api: Api) -> None:
    """XERO-FACTS 5 error shape: out-of-range numbers are a ValidationException with the limit
    headers (XERO-FACTS 2), never a 500; the contact the failed invoice named is not created."""
    for line in ({"Quantity": 1e30}, {"Quantity": 1e11, "UnitAmount": 1e11}, {"UnitAmount": 1e15}):
        answer = api.put("Invoices", {"Invoices": [invoice({"Name": "Huge Ltd"}, **line)]})
        assert answer.status_code == 400, answer.text
        assert answer.json()["Type"] == "ValidationException"
        assert "x-minlimit-remaining" in answer.headers
        assert "too large" in answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert contacts_named(api, "Huge Ltd") == []


def test_one_bad_element_in_a_per_element_batch_does_not_spoil_its_sibling(api: Api) -> None:
    """XERO-FACTS 3: with summarizeErrors=false each element answers for itself (200); the valid
    sibling comes back with its ID, the bad one with its errors, and nothing of it is stored."""
    answer = api.put(
        "Invoices",
        {
            "Invoices": [
                invoice({"Name": "Fine Ltd"}),
                invoice({"Name": "Overflow Ltd"}, Quantity=1e15, UnitAmount=1e15),
            ]
        },
        params={"summarizeErrors": "false"},
    )
    assert answer.status_code == 200, answer.text
    good, bad = answer.json()["Invoices"]
    assert good["StatusAttributeString"] == "OK" and good["InvoiceID"]
    assert bad["StatusAttributeString"] == "ERROR" and bad["HasErrors"] is True
    assert contacts_named(api, "Overflow Ltd") == []
    assert len(contacts_named(api, "Fine Ltd")) == 1


def test_nan_and_infinity_are_refused_and_lists_stay_valid_json(api: Api) -> None:
    """JSON (RFC 8259) has no NaN: Xero validates numbers, so the invoice list stays readable."""
    for bad in ("NaN", "Infinity", "-inf", "1e999999"):
        answer = api.put(
            "Invoices",
            {"Invoices": [invoice({"Name": "Nan Ltd"}, Quantity=bad)]},
            headers=DELIBERATE,
        )
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["Type"] == "ValidationException"
    raw_nan = api.http.put(
        "/api.xro/2.0/Invoices",
        content=b'{"Invoices":[{"Type":"ACCREC","Contact":{"Name":"Nan Ltd"},'
        b'"LineItems":[{"Description":"x","Quantity":NaN,"UnitAmount":1}]}]}',
        headers={**api.headers(), "Content-Type": "application/json", **DELIBERATE},
    )
    assert raw_nan.status_code == 400
    listed = api.get("Invoices", params={"page": "1"})
    no_bare_nan(listed.text)
    assert contacts_named(api, "Nan Ltd") == []


def test_non_object_elements_are_refused_one_by_one(api: Api) -> None:
    """XERO-FACTS 3 per-element answers: an element that is not an object is an ERROR element,
    not silently dropped; its valid sibling is created."""
    answer = api.put(
        "Contacts",
        {"Contacts": [{"Name": "Object Ltd"}, 5, "text", None]},
        params={"summarizeErrors": "false"},
        headers=DELIBERATE,
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["Contacts"]
    assert [r["StatusAttributeString"] for r in results] == ["OK", "ERROR", "ERROR", "ERROR"]
    assert results[1]["ValidationErrors"] == [{"Message": "The element is not an object."}]
    summarised = api.put("Contacts", {"Contacts": [7]}, headers=DELIBERATE)
    assert summarised.status_code == 400
    lines = api.put(
        "Invoices",
        {"Invoices": [{**invoice({"Name": "Lines Ltd"}), "LineItems": [LINE, 3]}]},
        headers=DELIBERATE,
    )
    assert lines.status_code == 400
    assert contacts_named(api, "Lines Ltd") == []


def test_unreadable_where_and_page_are_400_not_a_guess(api: Api) -> None:
    """XERO-FACTS 5: a filter Xero cannot read is a 400 ValidationException; the sandbox names
    the position where reading stopped instead of answering an empty list or page 1."""
    bad_where = api.get("Invoices", params={"where": 'Status=="DRAFT" AND ))'})
    assert bad_where.status_code == 400
    message = bad_where.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert "position 21" in message
    for params in ({"page": "abc"}, {"page": "1", "pageSize": "many"}):
        answer = api.get("Contacts", params=params, headers=DELIBERATE)
        assert answer.status_code == 400, params
        assert answer.json()["Type"] == "ValidationException"


def test_admin_input_is_validated_with_clear_400s(api: Api) -> None:
    """The admin API (ours) refuses input it cannot use and changes nothing."""
    refused = [
        ("settings", {"minute_limit": "x"}, "minute_limit must be a number"),
        ("settings", {"minute_limit": 10, "time_scale": 0}, "time_scale must be more than 0"),
        ("settings", {"summarize_errors_default": "no"}, "must be true or false"),
        ("clock", {"scale": 0}, "scale must be more than 0"),
        ("clock", {"advance_seconds": "soon"}, "advance_seconds must be a number"),
        ("faults", {"kind": "500", "count": "x"}, "count must be an integer"),
        ("faults", {"kind": "boom"}, "unknown fault"),
        ("reset", {"seed": "x"}, "seed must be an integer"),
        ("organisations", {"name": "X", "contacts": -1}, "contacts must be at least 0"),
    ]
    for path, body, text in refused:
        answer = api.admin(path, body)
        assert answer.status_code == 400, (path, body, answer.text)
        assert text in answer.json()["error"], answer.json()
    not_json = api.http.post("/_sandbox/settings", content=b"{nope")
    assert not_json.status_code == 400
    assert api.admin("settings").json()["minute_limit"] == 60  # nothing changed
    assert api.get("Organisation").status_code == 200
    assert api.admin("clock").json()["scale"] == 1.0


def test_token_exchange_needs_the_redirect_uri_the_code_was_issued_for(
    sandbox: SandboxHandle,
) -> None:
    """RFC 6749 4.1.3, which Xero's token endpoint follows (XERO-FACTS 1, invalid_grant):
    redirect_uri must be sent and must match the one given to /authorize."""
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        for redirect in (None, "http://127.0.0.1:9/other"):
            query, verifier = consent(http, info)
            form = {
                "grant_type": "authorization_code",
                "code": query["code"],
                "code_verifier": verifier,
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            }
            if redirect is not None:
                form["redirect_uri"] = redirect
            answer = http.post("/connect/token", data=form)
            assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant"}
        query, verifier = consent(http, info)
        assert exchange(http, info, query["code"], verifier).status_code == 200
