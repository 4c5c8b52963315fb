"""Issue 9, "the API keeps its promises": every error answer, whatever caused it, is the one
documented JSON body `{"detail": ..., "errors": [{"field", "message"}]}`, never an HTML page or
a traceback: a body over the size limit (413), a body that is not JSON (415), an unknown path
(404) and an unexpected error (500, with an id that is also in the log)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from ledgerbridge.customers import api as customers_api
from ledgerbridge.customers.models import Customer

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def assert_error_body(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


def test_a_body_over_the_size_limit_is_a_413(admin_api: ApiClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_api.post("/customers/", {"name": "x" * 2000})
    body = assert_error_body(response, 413)
    assert "1000 bytes" in body["detail"]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_a_415(admin_api: ApiClient, content_type: str) -> None:
    response = admin_api.client.post(
        "/api/v1/customers/",
        data=json.dumps({"name": "Plain Co"}),
        content_type=content_type,
        headers=admin_api.headers,
    )
    body = assert_error_body(response, 415)
    assert "application/json" in body["detail"]
    assert Customer.objects.count() == 0


def test_json_with_a_charset_or_a_json_suffix_is_accepted(admin_api: ApiClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = admin_api.client.post(
            "/api/v1/customers/",
            data=json.dumps({"name": f"Co {content_type}"}),
            content_type=content_type,
            headers=admin_api.headers,
        )
        assert response.status_code == 201, response.content


def test_an_unknown_api_path_is_a_json_404(admin_api: ApiClient) -> None:
    assert_error_body(admin_api.get("/no-such-thing/"), 404)


def test_an_unexpected_error_is_a_json_500_with_an_id_in_the_log(
    admin_api: ApiClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Every known failure already has its answer, so the unexpected one is made by hand: the
    # list's paging raises (a mock, as nothing real can be made to fail unexpectedly on cue).
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(customers_api, "paged", broken)
    with caplog.at_level(logging.ERROR):
        response = admin_api.get("/customers/")
    body = assert_error_body(response, 500)
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    match = re.search(r"error id ([0-9a-f]{12})", body["detail"])
    assert match, body["detail"]
    assert response["X-Error-Id"] == match.group(1)
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log, not the body
