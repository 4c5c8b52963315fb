"""REST endpoints for tickets and time entries (area: tickets; technicians: their own time)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from ledgerbridge.accounts.models import User
from ledgerbridge.accounts.permissions import may, may_manage_time_of
from ledgerbridge.api_support import (
    ERRORS,
    Id,
    TokenAuth,
    current_user,
    fetch,
    fresh,
    paged,
    resolve_required,
)
from ledgerbridge.catalog.models import ChargeRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.work.models import Ticket, TimeEntry
from ledgerbridge.work.schemas import (
    TicketIn,
    TicketOut,
    TicketPage,
    TicketQuery,
    TimeEntryIn,
    TimeEntryOut,
    TimeEntryPage,
    TimeEntryQuery,
)
from ledgerbridge.work.services import (
    change_time_entry,
    delete_ticket,
    delete_time_entry,
    log_time,
    save_ticket,
)

AREA = "tickets"
tickets_router = Router(tags=["tickets"], auth=TokenAuth(AREA))
time_router = Router(tags=["time entries"], auth=TokenAuth(AREA))


def _visible_time(user: User) -> QuerySet[TimeEntry]:
    """Time a user may see: all of it for admin and billing, their own for technicians."""
    entries = TimeEntry.objects.select_related("invoice_line")
    if may_manage_time_of(user, None):
        return entries
    return entries.filter(agent=user)


def _check_manages(user: User, agent_id: int | None) -> None:
    if not may_manage_time_of(user, agent_id):
        raise PermissionDenied("Technicians may only log and change their own time.")


# --- Tickets ----------------------------------------------------------------------------------


@tickets_router.get("/", response={200: TicketPage, **ERRORS})
def list_tickets(request: HttpRequest, params: Query[TicketQuery]) -> dict[str, object]:
    """Tickets, newest first; `q` searches title and customer name."""
    tickets = Ticket.objects.select_related("customer")
    if params.q:
        tickets = tickets.filter(
            Q(title__icontains=params.q) | Q(customer__name__icontains=params.q)
        )
    if params.status:
        tickets = tickets.filter(status=params.status)
    if params.customer:
        tickets = tickets.filter(customer_id=params.customer)
    return paged(tickets, params)


@tickets_router.post("/", response={201: TicketOut, **ERRORS})
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[Ticket]:
    customer = resolve_required(Customer, payload.customer, "customer", "Customer")
    ticket = save_ticket(Ticket(), customer=customer, title=payload.title, status=payload.status)
    return Status(201, ticket)


@tickets_router.get("/{ticket_id}", response={200: TicketOut, **ERRORS})
def get_ticket(request: HttpRequest, ticket_id: Id) -> Ticket:
    return fetch(Ticket, ticket_id, "Ticket")


@tickets_router.put("/{ticket_id}", response={200: TicketOut, **ERRORS})
def update_ticket(request: HttpRequest, ticket_id: Id, payload: TicketIn) -> Ticket:
    ticket = fetch(Ticket, ticket_id, "Ticket")
    customer = resolve_required(Customer, payload.customer, "customer", "Customer")
    return save_ticket(ticket, customer=customer, title=payload.title, status=payload.status)


@tickets_router.delete("/{ticket_id}", response={204: None, **ERRORS})
def remove_ticket(request: HttpRequest, ticket_id: Id) -> Status[None]:
    """Delete a ticket and its unbilled time (admin and billing, as on the screens)."""
    user = current_user(request)
    if not may(user, "delete_tickets"):
        raise PermissionDenied("Only admin and billing may delete tickets.")
    ticket = fetch(Ticket, ticket_id, "Ticket")
    delete_ticket(ticket)
    return Status(204, None)


@tickets_router.get("/{ticket_id}/time-entries", response={200: TimeEntryPage, **ERRORS})
def list_ticket_time(
    request: HttpRequest, ticket_id: Id, params: Query[TimeEntryQuery]
) -> dict[str, object]:
    """A ticket's time (a technician sees only their own)."""
    user = current_user(request)
    ticket = fetch(Ticket, ticket_id, "Ticket")
    return paged(_filter_time(_visible_time(user).filter(ticket=ticket), params), params)


@tickets_router.post("/{ticket_id}/time-entries", response={201: TimeEntryOut, **ERRORS})
def log_ticket_time(request: HttpRequest, ticket_id: Id, payload: TimeEntryIn) -> Status[TimeEntry]:
    """Log time on a ticket; a technician logs only their own (agent omitted or theirs)."""
    user = current_user(request)
    ticket = fetch(Ticket, ticket_id, "Ticket")
    agent = (
        user if payload.agent is None else resolve_required(User, payload.agent, "agent", "User")
    )
    _check_manages(user, agent.pk)
    charge_rate = resolve_required(ChargeRate, payload.charge_rate, "charge_rate", "Charge rate")
    entry = log_time(
        ticket,
        agent,
        date=payload.date,
        hours=payload.hours,
        charge_rate=charge_rate,
        summary=payload.summary,
        billable=payload.billable,
    )
    return Status(201, fresh(entry))


# --- Time entries -----------------------------------------------------------------------------


def _filter_time(entries: QuerySet[TimeEntry], params: TimeEntryQuery) -> QuerySet[TimeEntry]:
    if params.q:
        entries = entries.filter(summary__icontains=params.q)
    if params.ticket:
        entries = entries.filter(ticket_id=params.ticket)
    if params.agent:
        entries = entries.filter(agent_id=params.agent)
    if params.billed is not None:
        entries = entries.filter(invoice_line__isnull=not params.billed)
    return entries


@time_router.get("/", response={200: TimeEntryPage, **ERRORS})
def list_time_entries(request: HttpRequest, params: Query[TimeEntryQuery]) -> dict[str, object]:
    """Time entries, newest first (a technician sees only their own); `q` searches summaries."""
    user = current_user(request)
    return paged(_filter_time(_visible_time(user), params), params)


def _own_entry(request: HttpRequest, entry_id: int) -> tuple[User, TimeEntry]:
    user = current_user(request)
    entry = fetch(TimeEntry, entry_id, "Time entry")
    _check_manages(user, entry.agent_id)
    return user, entry


@time_router.get("/{entry_id}", response={200: TimeEntryOut, **ERRORS})
def get_time_entry(request: HttpRequest, entry_id: Id) -> TimeEntry:
    return _own_entry(request, entry_id)[1]


@time_router.put("/{entry_id}", response={200: TimeEntryOut, **ERRORS})
def update_time_entry(request: HttpRequest, entry_id: Id, payload: TimeEntryIn) -> TimeEntry:
    """Change unbilled time (billed time is refused: delete its invoice first)."""
    user, entry = _own_entry(request, entry_id)
    agent = (
        entry.agent
        if payload.agent is None
        else resolve_required(User, payload.agent, "agent", "User")
    )
    _check_manages(user, agent.pk)
    charge_rate = resolve_required(ChargeRate, payload.charge_rate, "charge_rate", "Charge rate")
    entry = change_time_entry(
        entry,
        agent=agent,
        date=payload.date,
        hours=payload.hours,
        charge_rate=charge_rate,
        summary=payload.summary,
        billable=payload.billable,
    )
    return fresh(entry)


@time_router.delete("/{entry_id}", response={204: None, **ERRORS})
def remove_time_entry(request: HttpRequest, entry_id: Id) -> Status[None]:
    _user, entry = _own_entry(request, entry_id)
    delete_time_entry(entry)
    return Status(204, None)
