"""The home page and the Configuration hub."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ledgerbridge.accounts.permissions import area_required


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@area_required("configuration")
def configuration(request: HttpRequest) -> HttpResponse:
    return render(request, "configuration.html")
