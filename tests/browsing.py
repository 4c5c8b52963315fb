"""What a person does in the browser, shared by the browser tests."""

from __future__ import annotations

from typing import Any


def sign_in(page: Any, live_server: Any, user: Any, password: str = "Browser-Sign-In-9") -> None:
    """Sign `user` in on the login page, as a person does (its password set to `password`)."""
    user.set_password(password)
    user.save()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
