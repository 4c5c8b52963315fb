"""REST shapes of users."""

from __future__ import annotations

from ninja import Schema


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    is_active: bool


class UserPage(Schema):
    count: int
    items: list[UserOut]
