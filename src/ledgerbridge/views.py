"""The home page (a small dashboard of what needs doing), the Configuration hub, and login."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults

from ledgerbridge.accounts.models import ApiToken, User
from ledgerbridge.accounts.permissions import area_required, can_use
from ledgerbridge.api_support import json_error_page
from ledgerbridge.api_support import server_error as api_server_error
from ledgerbridge.billing.models import DocumentStatus, Invoice, RecurringInvoice
from ledgerbridge.catalog.models import ChargeRate, ProductGroup, TaxRate
from ledgerbridge.work.models import Ticket, TicketStatus, TimeEntry
from ledgerbridge.work.services import ready_for_invoicing
from ledgerbridge.xero.models import Connection


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    cards: list[dict[str, Any]] = []
    if can_use(user, "tickets"):
        own_time = TimeEntry.objects.filter(agent_id=user.pk, invoice_line__isnull=True)
        cards.append(
            {
                "label": "Open tickets",
                "figure": Ticket.objects.filter(status=TicketStatus.OPEN).count(),
                "url": reverse("work:ticket_list") + "?status=open",
            }
        )
        cards.append(
            {
                "label": "Hours you logged, not yet billed",
                "figure": own_time.aggregate(h=Sum("hours"))["h"] or 0,
                "url": reverse("work:ticket_list"),
            }
        )
    if can_use(user, "invoices"):
        ready = ready_for_invoicing()
        ready_hours = ready.aggregate(h=Sum("hours"))["h"] or 0
        cards.append(
            {
                "label": f"Time entries ready for invoicing ({ready_hours} h)",
                "figure": ready.count(),
                "url": reverse("billing:ready"),
            }
        )
        cards.append(
            {
                "label": "Draft invoices",
                "figure": Invoice.objects.filter(status=DocumentStatus.DRAFT).count(),
                "url": reverse("billing:invoice_list") + "?status=DRAFT",
            }
        )
        cards.append(
            {
                "label": "Active recurring invoices",
                "figure": RecurringInvoice.objects.filter(active=True).count(),
                "url": reverse("billing:recurring_list"),
            }
        )
    return render(request, "home.html", {"cards": cards})


class LoginView(auth_views.LoginView):
    """Django's login, answering a refused sign-in with 400 like every other refused form."""

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


@area_required("configuration")
def configuration(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "configuration.html",
        {
            "tax_rates": TaxRate.objects.count(),
            "charge_rates": ChargeRate.objects.count(),
            "groups": ProductGroup.objects.count(),
            "users": User.objects.filter(is_active=True).count(),
            "tokens": ApiToken.objects.count(),
            "xero_connections": Connection.objects.count(),
        },
    )


def _api_or(
    status: int, text: str, page: Callable[..., HttpResponse]
) -> Callable[..., HttpResponse]:
    """Django's error page for screens; the API's JSON error body under /api/."""
    api_page = json_error_page(status, text)

    def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.path.startswith("/api/"):
            return api_page(request)
        return page(request, *args, **kwargs)

    return handler


not_found = _api_or(
    404, "There is no such API path; see /api/v1/openapi.json.", defaults.page_not_found
)
bad_request = _api_or(400, "The request is not valid.", defaults.bad_request)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return defaults.server_error(request)


FAVICON = settings.BASE_DIR / "static" / "ledgerbridge" / "favicon.svg"


def favicon(request: HttpRequest) -> HttpResponse:
    """The product's own icon (an SVG) where browsers look for one without being told."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
