"""Configuration > Integrations > Xero: the module switch, connections, and the OAuth callback.

No view calls Xero except the three a person asks for in person (connect, the callback that
finishes connecting, disconnect); everything else reads what the database already knows. A
connection's page shows its recent requests to Xero (the request log), filtered by status.
`xero_unavailable` is what a screen that reads Xero while a person waits shows when it cannot.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ledgerbridge.accounts.models import User
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.screens import delete_page
from ledgerbridge.sync.models import Organisation
from ledgerbridge.xero import connections as service
from ledgerbridge.xero import sync_state
from ledgerbridge.xero.connections import AuthorisationFailed
from ledgerbridge.xero.errors import XeroBusy, XeroError
from ledgerbridge.xero.forms import ConnectionForm, ModuleForm
from ledgerbridge.xero.limits import Limits
from ledgerbridge.xero.models import (
    REQUEST_FILTERS,
    Connection,
    ConnectionState,
    XeroModule,
    filtered_requests,
)
from ledgerbridge.xero.quota import quota_figures

SECTION = "Configuration"
RECENT_REQUESTS = 50
STATE_BADGE = {
    ConnectionState.CONNECTED: "yes",
    ConnectionState.NEEDS_REAUTH: "SUBMITTED",
    ConnectionState.DISCONNECTED: "DRAFT",
}


def redirect_uri(request: HttpRequest) -> str:
    """The callback URL registered with the Xero app (XERO_REDIRECT_URI), else this server's."""
    return str(settings.XERO_REDIRECT_URI or request.build_absolute_uri(reverse("xero:callback")))


def describe(connection: Connection) -> dict[str, Any]:
    """What a person needs to know about a connection's state, in words."""
    if connection.awaiting_save:
        state, badge = "Disconnected: connected to Xero but not saved", "SUBMITTED"
    else:
        state, badge = (
            connection.get_state_display(),
            STATE_BADGE[ConnectionState(connection.state)],
        )
    return {"connection": connection, "state": state, "badge": badge}


@area_required("configuration")
def integrations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "xero/integrations.html",
        {"module": XeroModule.get(), "count": Connection.objects.count(), "section": SECTION},
    )


@area_required("configuration")
def home(request: HttpRequest) -> HttpResponse:
    """The module switch (CONN-1), the list of connections (CONN-2), and "New connection"."""
    module = XeroModule.get()
    module_form = ModuleForm(initial={"enabled": module.enabled})
    form = ConnectionForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "module":
        module_form = ModuleForm(request.POST)
        if module_form.is_valid():
            service.set_module_enabled(bool(module_form.cleaned_data["enabled"]))
            messages.success(
                request,
                "Xero integration enabled."
                if module_form.cleaned_data["enabled"]
                else "Xero integration disabled.",
            )
            return redirect("xero:home")
    elif request.method == "POST" and request.POST.get("action") == "create":
        form = ConnectionForm(request.POST)
        if not module.enabled:
            form.add_error(None, "Enable the Xero integration first.")
        if form.is_valid():
            connection = service.create_connection(form.cleaned_data["name"])
            messages.success(request, f"Connection {connection} created. Press Connect now.")
            return redirect("xero:connection", pk=connection.pk)
        status = 400
    context = {
        "module": module,
        "module_form": module_form,
        "form": form,
        "rows": [describe(c) for c in Connection.objects.select_related("token_set")],
        "unlocked": service.general_settings_unlocked(),
        "section": SECTION,
    }
    return render(request, "xero/home.html", context, status=status)


def xero_unavailable(
    request: HttpRequest, error: XeroError, failed: str = "Xero did not answer"
) -> dict[str, Any]:
    """What a screen that reads Xero while a person waits says when Xero did not answer, for
    the `xero/_unavailable.html` include (as `unavailable`). Busy (XeroBusy: the deadline would
    pass) says so and offers to try again, with `status` 503; anything else is `failed`, then
    Xero's message, with `status` 502."""
    busy = isinstance(error, XeroBusy)
    retry_after = error.retry_after if isinstance(error, XeroBusy) else None
    return {
        "busy": busy,
        "failed": failed,
        "message": error.message,
        "retry_after": max(1, round(retry_after)) if retry_after is not None else None,
        "retry_url": request.get_full_path(),
        "status": 503 if busy else 502,
    }


@area_required("configuration")
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The connection's state, quota and its recent requests to Xero (`?requests=errors`…)."""
    connection = get_object_or_404(Connection.objects.select_related("token_set"), pk=pk)
    limits = Limits(minute=settings.XERO_MINUTE_SECONDS)
    now = timezone.now()
    shown = request.GET.get("requests", "all")
    if shown not in REQUEST_FILTERS:
        shown = "all"
    context = {
        **describe(connection),
        "module": XeroModule.get(),
        "limits": limits,
        "quota": quota_figures(connection, limits, now),
        "now": now,
        "section": SECTION,
        "requests": filtered_requests(connection, shown)[:RECENT_REQUESTS],
        "request_filters": [(key, label) for key, (label, _) in REQUEST_FILTERS.items()],
        "request_filter": shown,
        "sync": sync_state.summary(connection),
        **comparison_context(connection),
        "organisation": Organisation.objects.filter(
            integration="xero", remote_id=connection.tenant_id
        )
        .prefetch_related("currencies")
        .first()
        if connection.tenant_id
        else None,
    }
    return render(request, "xero/connection.html", context)


def comparison_context(connection: Connection) -> dict[str, Any]:
    """The latest "Compare with Xero" and its counts in words, for the connection's page."""
    run = connection.comparisons.first()

    def counted(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())

    return {
        "comparison": run,
        "compare_read": counted(run.read) if run else "",
        "compare_checked": counted(run.checked) if run else "",
    }


@require_POST
@area_required("configuration")
def connect(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Connect now" (CONN-3): off to Xero's login and organisation picker."""
    connection = get_object_or_404(Connection, pk=pk)
    if not XeroModule.get().enabled:
        messages.error(request, "Enable the Xero integration first.")
        return redirect("xero:connection", pk=pk)
    user = request.user if isinstance(request.user, User) else None
    try:
        url = service.start_authorisation(connection, user, redirect_uri(request))
    except AuthorisationFailed as exc:
        messages.error(request, exc.message)
        return redirect("xero:connection", pk=pk)
    return redirect(url)


@area_required("configuration")
def callback(request: HttpRequest) -> HttpResponse:
    """Xero sends the person back here; land on the same connection's screen (CONN-3)."""
    params = {k: v for k, v in request.GET.items() if isinstance(v, str)}
    try:
        user = request.user if isinstance(request.user, User) else None
        linked = service.complete_authorisation(params, redirect_uri(request), user=user)
    except AuthorisationFailed as exc:
        messages.error(request, exc.message)
        if exc.connection is not None:
            return redirect("xero:connection", pk=exc.connection.pk)
        return redirect("xero:home")
    first = linked[0]
    messages.success(
        request,
        f"Connected to {first.tenant_name}. Save the connection to start using it."
        if not first.saved
        else f"Reconnected to {first.tenant_name}.",
    )
    for other in linked[1:]:
        messages.info(request, f"Xero also granted {other.tenant_name}: see connection {other}.")
    return redirect("xero:connection", pk=first.pk)


@require_POST
@area_required("configuration")
def save(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    try:
        service.save_connection(connection)
    except AuthorisationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{connection} saved: connected to {connection.tenant_name}.")
    return redirect("xero:connection", pk=pk)


@require_POST
@area_required("configuration")
def disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    service.disconnect(connection)
    if connection.last_error:
        messages.warning(
            request, f"{connection} is disconnected here; Xero said: {connection.last_error}"
        )
    else:
        messages.success(request, f"{connection} disconnected; nothing linked to it was removed.")
    return redirect("xero:connection", pk=pk)


@area_required("configuration")
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    return delete_page(
        request,
        connection,
        kind="connection",
        delete=lambda: service.delete_connection(connection),
        back_url=reverse("xero:connection", args=[pk]),
        done_url=reverse("xero:home"),
        consequence="The connection is disconnected and removed. Customers, products and "
        "invoices that were linked to it keep their data.",
        section=SECTION,
    )
