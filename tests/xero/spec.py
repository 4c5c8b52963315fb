"""The official Xero OpenAPI specs as the oracle for every request Ledgerbridge sends to Xero.

`SpecCheckingTransport` wraps Ledgerbridge's transport (see `transport.install_transport_wrapper`
and the `spec_checked` fixture): every request to the Accounting API or to /connections is
validated (path, query, headers and body) against ../shared/xero-openapi before it leaves; a
mismatch fails the test that sent it. Token and revocation calls are not in these
specs (XERO-FACTS 1 documents them) and are not checked here.
"""

from __future__ import annotations

import functools
from pathlib import Path

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parents[3] / "shared" / "xero-openapi"
ACCOUNTING_PREFIX = "/api.xro/2.0"


# The spec document itself does not pass openapi-spec-validator (it writes boolean defaults as
# strings, e.g. default: 'false'), so the document is taken as it is and only traffic is checked.
_AS_IS = Config(spec_validator_cls=None)


@functools.cache
def accounting() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPECS / "xero_accounting.yaml"), config=_AS_IS)


@functools.cache
def identity() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPECS / "xero-identity.yaml"), config=_AS_IS)


class _Request:
    """An httpx request seen as openapi-core's Request protocol, on Xero's real host."""

    def __init__(self, request: httpx.Request, path: str) -> None:
        self.host_url = "https://api.xero.com"
        self.path = path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "").split(";")[0]
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class SpecViolation(AssertionError):
    pass


def check_request(request: httpx.Request) -> str | None:
    """Validate one request; returns which spec checked it (None: not an API call)."""
    path = request.url.path
    if ACCOUNTING_PREFIX in path:
        spec, name = accounting(), "accounting"
        wrapped = _Request(request, "/api.xro/2.0" + path.split(ACCOUNTING_PREFIX, 1)[1])
    elif path.startswith("/connections"):
        # The identity spec spells the path /Connections (XERO-FACTS 1); Xero's docs and its
        # servers use lowercase, so the request is checked under the spec's spelling.
        spec, name = identity(), "identity"
        wrapped = _Request(request, "/Connections" + path[len("/connections") :])
    else:
        return None
    # Parameters (path, query, headers) and body. The OAuth2 security scheme is not something
    # openapi-core can check; the sandbox refuses a missing or bad bearer token with a 401.
    errors = [
        error
        for validator in (V30RequestParametersValidator, V30RequestBodyValidator)
        for error in validator(spec.spec).iter_errors(wrapped)
    ]
    if errors:
        details = "; ".join(repr(getattr(e, "__cause__", None) or e) for e in errors)
        raise SpecViolation(f"{request.method} {path} breaks the {name} spec: {details}")
    return name


class SpecCheckingTransport(httpx.BaseTransport):
    """A transport that refuses to send a request the official spec would not accept; what it
    checked goes in `checked` ("GET /connections")."""

    def __init__(self, inner: httpx.BaseTransport, *, checked: list[str]) -> None:
        self.inner = inner
        self.checked = checked

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if check_request(request):
            self.checked.append(f"{request.method} {request.url.path}")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
