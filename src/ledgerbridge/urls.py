"""URL map: each business area's screens under its own prefix, the REST API under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ledgerbridge import views
from ledgerbridge.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("configuration/", views.configuration, name="configuration"),
    path("configuration/integrations/", include("ledgerbridge.xero.urls")),
    path("customers/", include("ledgerbridge.customers.urls")),
    path("suppliers/", include("ledgerbridge.suppliers.urls")),
    path("catalog/", include("ledgerbridge.catalog.urls")),
    path("tickets/", include("ledgerbridge.work.urls")),
    path("billing/", include("ledgerbridge.billing.urls")),
    path("purchasing/", include("ledgerbridge.purchasing.urls")),
    path("accounts/", include("ledgerbridge.accounts.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler400 = "ledgerbridge.views.bad_request"
handler404 = "ledgerbridge.views.not_found"
handler500 = "ledgerbridge.views.server_error"
