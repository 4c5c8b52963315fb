"""Conformance: each request a sandbox test sends and each answer, against Xero's OpenAPI specs.

`conftest.py` records every exchange of the recording clients and, when each test ends, hands
that test's exchanges to `mismatches()`: a test whose traffic breaks the spec fails itself, in
any order and alone. The specs are read from `../shared/xero-openapi` beside the project root.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import urllib.parse
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import jsonschema
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from xero_sandbox.xmlbody import LISTS, is_xml

from .exchange import Exchange

SPECS = Path(__file__).resolve().parents[3] / "shared" / "xero-openapi"
NOT_FOUND = "The resource you're looking for cannot be found"

# Where XERO-FACTS.md and the spec disagree, the facts win. Each exception and its source:
EXCEPTIONS = {
    "404": "404 on a single-resource GET is PLAIN TEXT; the spec documents no 404 "
    "(XERO-FACTS 5, Xero staff in XeroAPI/Xero-OpenAPI#163)",
    "429": "429 with X-Rate-Limit-Problem/Retry-After; the spec has no 429 (XERO-FACTS 2, 8)",
    "401/403": "401/403 problem bodies {Type,Title,Status,Detail,Instance,Extensions}; the spec "
    "documents neither (XERO-FACTS 1, 5)",
    "400 on GET": "400 ValidationException for a bad `where`; the spec lists only 200 for GETs "
    "(XERO-FACTS 5: Error shape)",
    "413/500/503/fault": "body over 3.5 MB, injected 500/503: not in the spec (XERO-FACTS 3, 10)",
    "code in path": "GET /Items/{code} and /Invoices/{number}: Xero accepts codes and numbers "
    "where the spec types the parameter as a uuid (developer.xero.com Items and Invoices pages)",
    "no tenant header": "requests sent without xero-tenant-id on purpose, to prove the 403",
    "custom connections": "a custom connection's calls may leave out xero-tenant-id, which the "
    "spec marks required ([P] developer.xero.com/faq/custom-integration, XERO-FACTS added "
    "2026-12-01)",
    "409": "a replay of an Idempotency-Key whose first request is still in flight: 409 [U], "
    "not in the spec",
    "XML": "XML requests and answers are read back into JSON by the spec's own schemas (numbers, "
    "booleans, arrays and objects as the schemas type them) and checked like JSON ones; the "
    "spec documents only JSON bodies ([S] XERO-FACTS added 2026-12-01)",
    "/Organisations": "GET /Organisations is answered like /Organisation [S]; checked against "
    "the /Organisation operation",
    "deliberate": "requests marked X-Test-Invalid break the spec on purpose (e.g. a 31-character "
    "item Code) to prove the sandbox's validation; their answers are still checked",
    "connection dates": "createdDateUtc/updatedDateUtc carry no zone, exactly as the identity "
    "spec's own example ('2019-12-07T18:46:19.5165400'), though the schema says date-time",
    "connections path": "/connections is lowercase in Xero's docs; the identity spec spells "
    "/Connections (XERO-FACTS 1)",
    "token endpoints": "/connect/token and /connect/revocation are not in the specs: answers "
    "are checked against xero-identity.yaml AccessToken and the OAuth error shape (XERO-FACTS 1)",
}


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def _load(name: str) -> dict[str, Any]:
    with open(SPECS / name, encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(
            handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
        return loaded


@functools.cache
def specs() -> dict[str, Any]:
    """The accounting and identity specs, loaded once per test session."""
    accounting = _load("xero_accounting.yaml")
    identity = _load("xero-identity.yaml")
    config = Config(spec_validator_cls=None)  # the published spec fails its own validator
    return {
        "accounting": OpenAPI.from_dict(accounting, config=config),
        "identity": OpenAPI.from_dict(identity, config=config),
        "identity_raw": identity,
        "accounting_raw": accounting,
    }


# --- XML: read back into JSON by the spec's own schemas, then checked like any JSON exchange ---


def _schema(raw: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = raw["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(_schema(raw, part).get("properties", {}))
        return merged
    return schema


def _from_xml(node: Any, schema: dict[str, Any], raw: dict[str, Any]) -> Any:
    """An XML element as JSON, typed by its schema (numbers, booleans, arrays, objects)."""
    schema = _schema(raw, schema)
    children = list(node)
    kind = schema.get("type")
    if kind == "array" or (kind is None and not schema and node.tag in LISTS and children):
        return [_from_xml(child, schema.get("items", {}), raw) for child in children]
    if children or kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {child.tag: _from_xml(child, props.get(child.tag, {}), raw) for child in children}
    text = node.text or ""
    if kind == "number":
        return float(text)
    if kind == "integer":
        return int(text)
    if kind == "boolean":
        return text == "true"
    return text


def _xml_as_json(body: bytes, raw: dict[str, Any]) -> bytes:
    root = SafeET.fromstring(body)
    schemas = raw["components"]["schemas"]
    if root.tag == "ApiException":
        data = _from_xml(root, schemas["Error"], raw)
    elif root.tag == "Response":
        collection = next((c.tag for c in root if c.tag in schemas), None)
        data = _from_xml(root, schemas.get(collection or "", {}), raw)
    elif root.tag in LISTS and root.tag in schemas:  # a request body: <Invoices><Invoice>...
        items = _schema(raw, schemas[root.tag])["properties"][root.tag]
        data = {root.tag: _from_xml(root, items, raw)}
    elif root.tag in schemas:  # a single <Invoice>
        data = _from_xml(root, schemas[root.tag], raw)
    else:
        raise AssertionError(f"unknown XML root {root.tag}")
    return json.dumps(data).encode()


def _json_view(ex: Exchange, raw: dict[str, Any]) -> Exchange:
    """The exchange with XML bodies read into JSON (the specs describe JSON only)."""
    json_type = "application/json; charset=utf-8"
    deliberate = ex.headers.get("x-test-invalid") == "deliberate"  # its request is not checked
    if ex.body and is_xml(ex.headers.get("content-type")) and not deliberate:
        ex = dataclasses.replace(
            ex,
            body=_xml_as_json(ex.body, raw),
            headers={**ex.headers, "content-type": json_type},
        )
    if ex.response_body and is_xml(ex.response_headers.get("content-type")):
        ex = dataclasses.replace(
            ex,
            response_body=_xml_as_json(ex.response_body, raw),
            response_headers={**ex.response_headers, "content-type": json_type},
        )
    return ex


def _as_request(ex: Exchange, path: str) -> _Request:
    query = ImmutableMultiDict(urllib.parse.parse_qsl(ex.query, keep_blank_values=True))
    params = RequestParameters(query=query, header=Headers(list(ex.headers.items())), cookie={})
    return _Request(
        "https://api.xero.com",
        path,
        ex.method.lower(),
        params,
        ex.body or None,
        ex.headers.get("content-type", ""),
    )


def _as_response(ex: Exchange) -> _Response:
    ctype = ex.response_headers.get("content-type", "").split(";")[0]
    return _Response(ex.status, ctype, Headers(list(ex.response_headers.items())), ex.response_body)


def _is_problem(body: bytes, status: int) -> bool:
    data = json.loads(body)
    return (
        set(data) == {"Type", "Title", "Status", "Detail", "Instance", "Extensions"}
        and data["Status"] == status
    )


def check(ex: Exchange, specs: dict[str, Any]) -> list[str]:
    """Mismatches of one exchange (empty when it conforms or a listed exception applies)."""
    path = ex.path
    if path.startswith("/_sandbox/") or path.startswith("/identity/connect/"):
        return []  # the admin API is not Xero's; the login page is HTML for people
    if path.startswith("/api.xro/2.0/"):
        ex = _json_view(ex, specs["accounting_raw"])
    if path in ("/connect/token", "/connect/revocation"):
        if ex.status == 200 and path == "/connect/token":
            schema = specs["identity_raw"]["components"]["schemas"]["AccessToken"]
            body = json.loads(ex.response_body)
            jsonschema.validate(body, schema)
            return [] if {"access_token", "expires_in", "token_type"} <= set(body) else ["token"]
        if ex.status == 400:
            return (
                []
                if set(json.loads(ex.response_body)) <= {"error", "error_description"}
                else ["oauth error"]
            )
        return [] if ex.status == 200 else [f"{path}: status {ex.status}"]
    if ex.status in (401, 403):
        return [] if _is_problem(ex.response_body, ex.status) else [f"{path}: problem body"]
    if ex.status == 429:
        ok = "x-rate-limit-problem" in ex.response_headers and "retry-after" in ex.response_headers
        return [] if ok else [f"{path}: 429 headers"]
    if ex.status in (409, 413, 500, 503):
        return []
    if ex.status == 404:
        return [] if ex.response_body.decode() in (NOT_FOUND, "") else [f"{path}: 404 body"]
    if path.lower().startswith("/connections"):
        spec_path = "/Connections" + path[len("/connections") :]
        openapi = specs["identity"]
    else:
        spec_path = "/api.xro/2.0/Organisation" if path == "/api.xro/2.0/Organisations" else path
        openapi = specs["accounting"]
    if path.startswith("/api.xro/2.0/") and "xero-tenant-id" not in ex.headers:
        # A custom connection may leave the header out (EXCEPTIONS "custom connections"): check
        # the rest of the request as if it were there.
        ex = dataclasses.replace(ex, headers={**ex.headers, "xero-tenant-id": str(uuid.uuid4())})
    request = _as_request(ex, spec_path)
    errors: list[str] = []
    deliberate = ex.headers.get("x-test-invalid") == "deliberate"
    for error in [] if deliberate else openapi.iter_request_errors(request):
        if _code_in_path(path, error):
            continue
        errors.append(f"request {ex.method} {path}?{ex.query}: {_describe(error)}")
    if ex.status == 400 and ex.method == "GET":
        body = json.loads(ex.response_body)
        return errors if body.get("Type") == "ValidationException" else [*errors, "400 body"]
    for error in openapi.iter_response_errors(request, _as_response(ex)):
        if _zoneless_connection_date(path, error):
            continue
        errors.append(f"response {ex.status} to {ex.method} {path}: {_describe(error)}")
    return errors


def _code_in_path(path: str, error: Exception) -> bool:
    parts = path.split("/")
    if len(parts) != 5 or parts[3] not in ("Items", "Invoices", "Contacts", "PurchaseOrders"):
        return False
    text = _describe(error)
    return "Invalid path parameter" in text and "is not a 'uuid'" in text


def _zoneless_connection_date(path: str, error: Exception) -> bool:
    text = _describe(error)
    only_dates = all("DateUtc" in line for line in text.split(": ", 1)[1].split("; ")[1:] or [""])
    return path.lower().startswith("/connections") and "is not a 'date-time'" in text and only_dates


def _describe(error: Exception) -> str:
    inner = getattr(error, "__cause__", None)
    details = getattr(inner, "schema_errors", None) or getattr(error, "schema_errors", None)
    if details:
        return f"{error}: " + "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in list(details)[:5]
        )
    return f"{type(error).__name__}: {error} ({inner})"


def mismatches(exchanges: Iterable[Exchange]) -> list[str]:
    """Every place where these exchanges break the specs (the admin API is not checked)."""
    loaded = specs()
    found: list[str] = []
    with warnings.catch_warnings():
        # openapi-core cannot evaluate OAuth2 security schemes; the tests check tokens themselves.
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        for ex in exchanges:
            if not ex.path.startswith("/_sandbox/"):
                found.extend(check(ex, loaded))
    return found
