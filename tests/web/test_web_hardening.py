"""Issue 9, small things: a refused screen is one INFO line in the log, not a traceback at
WARNING; /favicon.ico is an icon, not a 404."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from ledgerbridge.accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_403_on_a_screen_is_one_info_line(
    technician: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(technician)
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        response = client.get("/configuration/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.INFO
    assert record.exc_info is None and record.exc_text is None
    assert "/configuration/" in record.getMessage() and "\n" not in record.getMessage()


def test_favicon_is_served(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"<svg" in body
