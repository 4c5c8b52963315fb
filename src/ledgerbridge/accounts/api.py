"""REST endpoints for the signed-in user and the user list (configuration)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router

from ledgerbridge.accounts.models import User
from ledgerbridge.accounts.schemas import UserOut, UserPage
from ledgerbridge.api_support import ERRORS, ListQuery, TokenAuth, current_user, paged, require_area

router = Router(tags=["accounts"], auth=TokenAuth())


@router.get("/me", response={200: UserOut, **ERRORS})
def me(request: HttpRequest) -> User:
    """The user the token belongs to (any role): its id is the `agent` of its time entries."""
    return current_user(request)


@router.get("/users", response={200: UserPage, **ERRORS})
def list_users(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Users (configuration: admin only); `q` searches username, names and email."""
    require_area(request, "configuration")
    users = User.objects.order_by("username")
    if params.q:
        users = users.filter(
            Q(username__icontains=params.q)
            | Q(first_name__icontains=params.q)
            | Q(last_name__icontains=params.q)
            | Q(email__icontains=params.q)
        )
    return paged(users, params)
