"""Webhooks on the screens: the endpoint Xero delivers to (open, signed), and each connection's
webhooks tab (WH-1): its switches, the app's signing key and the endpoint's address, and the
inbox with Replay."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.dates import DateInRangeField
from ledgerbridge.screens import error_summary, paginate, posted
from ledgerbridge.xero import webhooks
from ledgerbridge.xero.models import Connection, EventStatus, WebhookEvent, WebhookKey
from ledgerbridge.xero.tasks import catch_up_task

SWITCHES = [
    "wh_contacts_created",
    "wh_contacts_updated",
    "wh_invoices_created",
    "wh_invoices_updated",
]


@csrf_exempt
@login_not_required
def endpoint(request: HttpRequest) -> HttpResponse:
    """Where Xero delivers (WH-4): 200 with an empty body once stored, 401 with an empty body
    to a bad signature, 413 to a body far larger than Xero sends, 405 to anything but POST."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    declared = request.headers.get("Content-Length") or "0"
    if not declared.isdecimal() or int(declared) > webhooks.MAX_BODY:
        return HttpResponse(status=413 if declared.isdecimal() else 400)
    body = request.body
    if len(body) > webhooks.MAX_BODY:
        return HttpResponse(status=413)
    status = webhooks.receive(body, request.headers.get("x-xero-signature", ""))
    return HttpResponse(status=status)


class SwitchesForm(forms.ModelForm[Connection]):
    class Meta:
        model = Connection
        fields = list(webhooks.SWITCHES)


class KeyForm(forms.Form):
    signing_key = forms.CharField(
        label="Webhook signing key",
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="From the app's Webhooks page in Xero's developer portal. Stored encrypted; "
        "never shown again.",
    )


@area_required("configuration")
def tab(request: HttpRequest, pk: int) -> HttpResponse:
    """The connection's webhooks tab: switches (POST saves them), key, endpoint, inbox."""
    connection = get_object_or_404(Connection, pk=pk)
    form = SwitchesForm(posted(request), instance=connection)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Webhook switches of {connection.name} saved.")
        return redirect("xero:webhooks", pk=pk)
    shown = request.GET.get("status", "")
    events = WebhookEvent.objects.filter(tenant_id=connection.tenant_id or "-")
    if shown in EventStatus.values:
        events = events.filter(status=shown)
    context: dict[str, Any] = {
        "connection": connection,
        "form": form,
        "key_form": KeyForm(),
        "catch_up_form": CatchUpForm(),
        "poll_minutes": f"{settings.XERO_POLL_MINUTES:g}",
        "key": WebhookKey.get(),
        "endpoint": request.build_absolute_uri(reverse("xero:webhook_endpoint")),
        "page": paginate(request, events),
        "statuses": EventStatus.choices,
        "shown": shown,
        "summary": error_summary(form) if request.method == "POST" else [],
        "section": "Configuration",
    }
    return render(request, "xero/webhooks.html", context, status=400 if form.errors else 200)


@require_POST
@area_required("configuration")
def save_key(request: HttpRequest, pk: int) -> HttpResponse:
    form = KeyForm(request.POST)
    if form.is_valid():
        webhooks.save_key(form.cleaned_data["signing_key"])
        messages.success(
            request,
            "Signing key saved. In Xero, save the webhook (or its URL) so that Xero checks this "
            "endpoint again with the key.",
        )
    else:
        messages.error(request, "Enter the signing key Xero shows for the app's webhook.")
    return redirect("xero:webhooks", pk=pk)


@require_POST
@area_required("configuration")
def replay(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    found = get_object_or_404(WebhookEvent, pk=event, tenant_id=connection.tenant_id)
    webhooks.replay(found)
    messages.success(request, "The event is applied again by the worker.")
    return redirect("xero:webhooks", pk=pk)


class CatchUpForm(forms.Form):
    since = DateInRangeField(label="Catch up since")


@require_POST
@area_required("configuration")
def catch_up(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Catch up since…": the worker reads what Xero changed since that day into the inbox."""
    connection = get_object_or_404(Connection, pk=pk)
    form = CatchUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Catch up since: enter a date (YYYY-MM-DD).")
    elif not connection.is_connected:
        messages.error(request, f"{connection.name} is not connected: connect it first.")
    else:
        since = dt.datetime.combine(form.cleaned_data["since"], dt.time(), tzinfo=dt.UTC)
        catch_up_task.enqueue(connection.pk, since.isoformat())
        messages.success(
            request,
            f"The worker reads what changed in Xero since {since:%Y-%m-%d} into the inbox, "
            "then applies it.",
        )
    return redirect("xero:webhooks", pk=pk)
