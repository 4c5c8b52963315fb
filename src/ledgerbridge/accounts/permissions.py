"""Which role may use which area of the product: the one table both the UI and the API read."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ledgerbridge.accounts.models import Role

ADMIN, BILLING, TECHNICIAN = Role.ADMIN, Role.BILLING, Role.TECHNICIAN

AREA_ROLES: dict[str, frozenset[str]] = {
    "customers": frozenset({ADMIN, BILLING}),
    "suppliers": frozenset({ADMIN, BILLING}),
    "products": frozenset({ADMIN, BILLING}),
    "invoices": frozenset({ADMIN, BILLING}),
    "purchasing": frozenset({ADMIN, BILLING}),
    "tickets": frozenset({ADMIN, BILLING, TECHNICIAN}),
    "configuration": frozenset({ADMIN}),
}


# Actions inside an area that not every role of the area may take; screens and API both ask
# `may(user, action)`, so the two can never disagree.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "delete_tickets": frozenset({ADMIN, BILLING}),
}


def may(user: Any, action: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", None) in ACTION_ROLES[action]


def can_use(user: Any, area: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", None) in AREA_ROLES[area]


def check_area(user: Any, area: str) -> None:
    if not can_use(user, area):
        raise PermissionDenied(f"Your role may not use {area}.")


F = TypeVar("F", bound=Callable[..., Any])


def area_required(area: str) -> Callable[[F], F]:
    """View decorator: 403 unless the signed-in user's role may use `area`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            check_area(request.user, area)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def may_manage_time_of(user: Any, agent_id: int | None) -> bool:
    """Technicians manage only their own time; admin and billing manage anyone's."""
    if can_use(user, "invoices"):
        return True
    return agent_id is not None and agent_id == user.pk
