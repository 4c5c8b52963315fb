"""'Compare with Xero' on a connection's page: start a run (optionally fixing what differs),
and follow its progress as JSON (the page polls it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.xero import comparisons
from ledgerbridge.xero.models import Comparison, Connection


@require_POST
@area_required("configuration")
def start(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    fix = request.POST.get("fix") == "on"
    try:
        run = comparisons.start(connection, fix=fix)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("xero:connection", pk=pk)
    messages.success(
        request,
        f"Comparing {connection.name} with Xero"
        + (" and fixing what differs" if run.fix_requested else "")
        + ": the worker reads the organisation; this page follows it.",
    )
    return redirect(reverse("xero:connection", args=[pk]) + "#compare")


@require_GET
@area_required("configuration")
def progress(request: HttpRequest, pk: int, run: int) -> JsonResponse:
    found = get_object_or_404(Comparison, pk=run, connection_id=pk)
    data = comparisons.progress_json(found)
    data.pop("differences")  # the page reloads for them once finished
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
