"""Failed sign-ins are throttled per username and per address (issue 9), with a clear message, an
admin unlock on the Users screen and in the CLI; API tokens are not affected."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge import cli
from ledgerbridge.accounts.models import ApiToken, User

PASSWORD = "Right-Password-1"
LIMIT = 5  # settings.AXES_FAILURE_LIMIT (LOGIN_FAILURE_LIMIT)


@pytest.fixture
def victim(billing_user: User) -> User:
    billing_user.set_password(PASSWORD)
    billing_user.save()
    return billing_user


def sign_in(client: Client, username: str, password: str) -> object:
    return client.post(reverse("login"), {"username": username, "password": password})


def fail(times: int, username: str, address: str = "127.0.0.1") -> None:
    client = Client(REMOTE_ADDR=address)
    for n in range(times):
        # The failure that reaches the limit is answered with the lock-out already.
        expected = 429 if n + 1 >= LIMIT else 400
        assert sign_in(client, username, "wrong-guess").status_code == expected


def test_twenty_wrong_passwords_then_the_right_one_is_refused_with_a_clear_message(
    victim: User,
) -> None:
    client = Client()
    for _ in range(20):
        assert sign_in(client, victim.username, "wrong-guess").status_code in {400, 429}
    right = sign_in(client, victim.username, PASSWORD)
    page = right.content.decode()
    assert right.status_code == 429
    assert "Too many failed sign-ins" in page and "ask an admin to unlock" in page
    assert "Sign in" in page  # the sign-in page again, not a bare error
    assert client.get(reverse("home")).status_code == 302  # not signed in


def test_a_username_is_locked_from_any_address(victim: User) -> None:
    fail(LIMIT, victim.username, address="10.0.0.1")
    other_place = Client(REMOTE_ADDR="10.0.0.2")
    assert sign_in(other_place, victim.username, PASSWORD).status_code == 429


def test_an_address_is_locked_whatever_usernames_it_tries(victim: User) -> None:
    client = Client(REMOTE_ADDR="10.0.0.3")
    for n in range(LIMIT):
        sign_in(client, f"guess{n}", "wrong-guess")
    assert sign_in(client, victim.username, PASSWORD).status_code == 429
    # Another address signs the same user in.
    assert sign_in(Client(REMOTE_ADDR="10.0.0.4"), victim.username, PASSWORD).status_code == 302


def test_fewer_failures_than_the_limit_then_success_forgets_them(victim: User) -> None:
    fail(LIMIT - 1, victim.username)
    assert sign_in(Client(), victim.username, PASSWORD).status_code == 302
    fail(LIMIT - 1, victim.username)
    assert sign_in(Client(), victim.username, PASSWORD).status_code == 302


def test_admin_unlocks_a_user_on_the_users_screen(admin_client: Client, victim: User) -> None:
    fail(LIMIT, victim.username, address="10.0.0.5")
    listing = admin_client.get(reverse("accounts:user_list")).content.decode()
    assert "locked out until" in listing and f"Unlock {victim.username}" in listing
    assert "10.0.0.5" in listing  # the address is locked too, and listed

    done = admin_client.post(reverse("accounts:unlock"), {"username": victim.username})
    assert done.status_code == 302
    after = admin_client.get(reverse("accounts:user_list")).content.decode()
    assert f"{victim.username} unlocked" in after and f"Unlock {victim.username}" not in after
    assert sign_in(Client(REMOTE_ADDR="10.0.0.6"), victim.username, PASSWORD).status_code == 302


def test_admin_unlocks_an_address_on_the_users_screen(admin_client: Client, victim: User) -> None:
    client = Client(REMOTE_ADDR="10.0.0.7")
    for n in range(LIMIT):
        sign_in(client, f"guess{n}", "wrong-guess")
    assert "Unlock 10.0.0.7" in admin_client.get(reverse("accounts:user_list")).content.decode()
    admin_client.post(reverse("accounts:unlock"), {"address": "10.0.0.7"})
    assert sign_in(client, victim.username, PASSWORD).status_code == 302


def test_only_admins_may_unlock(tech_client: Client, victim: User) -> None:
    fail(LIMIT, victim.username)
    refused = tech_client.post(reverse("accounts:unlock"), {"username": victim.username})
    assert refused.status_code == 403
    assert sign_in(Client(REMOTE_ADDR="10.0.0.8"), victim.username, PASSWORD).status_code == 429


def test_cli_lists_and_unlocks(victim: User, capsys: pytest.CaptureFixture[str]) -> None:
    fail(LIMIT, victim.username, address="10.0.0.9")
    assert cli.main(["unlock"]) == 0
    listed = capsys.readouterr().out
    assert f"user {victim.username}: {LIMIT} failed sign-ins" in listed
    assert "address 10.0.0.9" in listed

    assert cli.main(["unlock", "--user", victim.username, "--address", "10.0.0.9"]) == 0
    assert "unlocked" in capsys.readouterr().out
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9"), victim.username, PASSWORD).status_code == 302
    assert cli.main(["unlock"]) == 0
    assert "No one is locked out." in capsys.readouterr().out


def test_api_tokens_still_work_for_a_locked_out_user(victim: User) -> None:
    _, raw = ApiToken.issue(victim, "rmm")
    fail(LIMIT, victim.username)
    answer = Client().get("/api/v1/customers/", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 200
