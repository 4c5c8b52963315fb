"""Ticket screens: the ticket list, a ticket with its time, and logging or changing time.

Technicians see every ticket but only their own time (`may_manage_time_of`), and log time
as themselves; billed time cannot be changed (`check_time_editable`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ledgerbridge.accounts.permissions import area_required, can_use, may, may_manage_time_of
from ledgerbridge.screens import (
    apply_errors,
    delete_page,
    error_summary,
    form_page,
    paginate,
    posted,
    search,
)
from ledgerbridge.work import services
from ledgerbridge.work.forms import TicketForm, TimeForm
from ledgerbridge.work.models import Ticket, TicketStatus, TimeEntry


def _manages_all(request: HttpRequest) -> bool:
    return can_use(request.user, "invoices")


def _visible_time(request: HttpRequest, ticket: Ticket) -> QuerySet[TimeEntry]:
    entries = ticket.time_entries.select_related("agent", "charge_rate", "invoice_line__invoice")
    return entries if _manages_all(request) else entries.filter(agent_id=request.user.pk)


@area_required("tickets")
def ticket_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    rows = Ticket.objects.select_related("customer")
    if q.lstrip("#Tt").isdecimal():
        rows = rows.filter(Q(pk=int(q.lstrip("#Tt"))) | Q(title__icontains=q))
    else:
        rows = search(rows, q, ("title", "customer__name"))
    if status in TicketStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "work/ticket_list.html",
        {
            "page": paginate(request, rows),
            "q": q,
            "status": status,
            "statuses": TicketStatus.choices,
        },
    )


@area_required("tickets")
def ticket_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk) if pk is not None else Ticket()
    initial = {"customer": ticket.customer_id, "title": ticket.title, "status": ticket.status}
    form = TicketForm(posted(request), initial=initial if pk else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_ticket(ticket, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Ticket {saved.reference} saved.")
            return redirect("work:ticket_detail", pk=saved.pk)
    return form_page(
        request,
        form,
        title=f"Edit {Ticket.objects.get(pk=pk).reference}" if pk else "New ticket",
        back_url=reverse("work:ticket_detail", args=[pk]) if pk else reverse("work:ticket_list"),
        back_label="Ticket" if pk else "Tickets",
        submit="Save" if pk else "Create ticket",
        delete_url=reverse("work:ticket_delete", args=[pk])
        if pk and may(request.user, "delete_tickets")
        else "",
    )


@area_required("tickets")
def ticket_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not may(request.user, "delete_tickets"):
        raise PermissionDenied("Only admin and billing may delete tickets.")
    ticket = get_object_or_404(Ticket, pk=pk)
    return delete_page(
        request,
        ticket,
        kind="ticket",
        delete=lambda: services.delete_ticket(ticket),
        back_url=reverse("work:ticket_detail", args=[pk]),
        done_url=reverse("work:ticket_list"),
        consequence="Its unbilled time is deleted with it.",
    )


@area_required("tickets")
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket, its time, and the Log time form (POST logs time through `log_time`)."""
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), pk=pk)
    pick_agent = _manages_all(request)
    form = TimeForm(posted(request), pick_agent=pick_agent, initial={"agent": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        agent = data.pop("agent", request.user)
        try:
            entry = services.log_time(ticket, agent, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Logged {entry.hours} h on {ticket.reference}.")
            return redirect("work:ticket_detail", pk=ticket.pk)
    entries = _visible_time(request, ticket)
    refused = form.is_bound and bool(form.errors)
    context: dict[str, Any] = {
        "ticket": ticket,
        "entries": entries,
        "total_hours": entries.aggregate(h=Sum("hours"))["h"] or 0,
        "form": form,
        "summary": error_summary(form) if refused else [],
        "own_only": not pick_agent,
    }
    return render(request, "work/ticket_detail.html", context, status=400 if refused else 200)


def _own_entry(request: HttpRequest, pk: int) -> TimeEntry:
    entry = get_object_or_404(TimeEntry.objects.select_related("ticket"), pk=pk)
    if not may_manage_time_of(request.user, entry.agent_id):
        raise PermissionDenied("Technicians may change only their own time.")
    return entry


@area_required("tickets")
def time_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    back = reverse("work:ticket_detail", args=[entry.ticket_id])
    if entry.is_billed:
        messages.error(request, " ".join(_billed_reason(entry)))
        return redirect(back)
    pick_agent = _manages_all(request)
    initial = {
        "agent": entry.agent_id,
        "date": entry.date,
        "hours": entry.hours,
        "charge_rate": entry.charge_rate_id,
        "billable": entry.billable,
        "summary": entry.summary,
    }
    form = TimeForm(posted(request), pick_agent=pick_agent, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.setdefault("agent", entry.agent)
        try:
            services.change_time_entry(entry, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Time entry saved.")
            return redirect(back)
    return form_page(
        request,
        form,
        title=f"Time on {entry.ticket.reference}",
        subtitle=entry.ticket.title,
        back_url=back,
        back_label=entry.ticket.reference,
        delete_url=reverse("work:time_delete", args=[pk]),
        section="Tickets",
    )


def _billed_reason(entry: TimeEntry) -> list[str]:
    try:
        services.check_time_editable(entry)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@area_required("tickets")
def time_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    return delete_page(
        request,
        entry,
        kind="time entry",
        delete=lambda: services.delete_time_entry(entry),
        back_url=reverse("work:ticket_detail", args=[entry.ticket_id]),
        done_url=reverse("work:ticket_detail", args=[entry.ticket_id]),
        section="Tickets",
    )
