"""Configuration screens for users (with their role) and API tokens (shown once, revocable)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ledgerbridge.accounts import lockouts
from ledgerbridge.accounts.forms import NewUserForm, TokenForm, UserForm
from ledgerbridge.accounts.models import ApiToken, User
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.screens import form_page, paginate, posted, search

SECTION = "Configuration"


@area_required("configuration")
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    rows = search(
        User.objects.order_by("-is_active", "username"),
        q,
        ("username", "first_name", "last_name", "email"),
    )
    page = paginate(request, rows)
    locked = lockouts.locked_usernames()
    for user in page:
        user.lockout = locked.get(user.username)  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "q": q,
            "section": SECTION,
            "locked_addresses": lockouts.locked_addresses(),
        },
    )


@area_required("configuration")
@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    username = request.POST.get("username", "").strip()
    address = request.POST.get("address", "").strip()
    if not username and not address:
        messages.error(request, "Nothing to unlock: name a username or an address.")
    else:
        lockouts.unlock(username=username or None, address=address or None)
        messages.success(
            request, f"{username or address} unlocked: signing in is allowed again at once."
        )
    return redirect("accounts:user_list")


@area_required("configuration")
def user_create(request: HttpRequest) -> HttpResponse:
    form = NewUserForm(posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
        messages.success(request, f"User {user.username} created as {user.get_role_display()}.")
        return redirect("accounts:user_list")
    return form_page(
        request,
        form,
        title="New user",
        back_url=reverse("accounts:user_list"),
        back_label="Users",
        submit="Create user",
        section=SECTION,
    )


@area_required("configuration")
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = UserForm(posted(request), instance=user, editor=request.user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        state = "" if saved.is_active else " (deactivated: it can no longer sign in)"
        messages.success(request, f"User {saved.username} saved{state}.")
        return redirect("accounts:user_list")
    return form_page(
        request,
        form,
        title=User.objects.get(pk=pk).username,
        back_url=reverse("accounts:user_list"),
        back_label="Users",
        section=SECTION,
    )


@area_required("configuration")
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(posted(request), initial={"user": request.user.pk})
    if request.method == "POST" and form.is_valid():
        token, raw = ApiToken.issue(form.cleaned_data["user"], form.cleaned_data["name"])
        # The raw token is rendered once, never stored or redirected through a URL.
        response = render(
            request, "accounts/token_created.html", {"token": token, "raw": raw, "section": SECTION}
        )
        response["Cache-Control"] = "no-store"
        return response
    return form_page(
        request,
        form,
        title="API tokens",
        template="accounts/token_list.html",
        tokens=ApiToken.objects.select_related("user"),
        section=SECTION,
    )


@area_required("configuration")
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk)
    token.delete()
    messages.success(request, f"Token {token.name} ({token.prefix}…) revoked; it no longer works.")
    return redirect("accounts:token_list")
