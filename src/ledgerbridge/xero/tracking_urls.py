"""Routes of the tracking-category screens (TRK-1, TRK-3)."""

from django.urls import path

from ledgerbridge.xero import tracking_views

app_name = "xero_tracking"
urlpatterns = [
    path("", tracking_views.tracking_page, name="page"),
]
