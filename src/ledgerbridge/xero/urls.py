from django.urls import include, path

from ledgerbridge.xero import tax_links, views

app_name = "xero"
urlpatterns = [
    path("", views.integrations, name="integrations"),
    path("xero/", views.home, name="home"),
    path("xero/callback/", views.callback, name="callback"),
    path("xero/<int:pk>/", views.connection_detail, name="connection"),
    path("xero/<int:pk>/connect/", views.connect, name="connect"),
    path("xero/<int:pk>/save/", views.save, name="save"),
    path("xero/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
    path("xero/<int:pk>/delete/", views.delete, name="delete"),
    path("xero/imports/", include("ledgerbridge.xero.import_urls")),
    path("xero/tracking/", include("ledgerbridge.xero.tracking_urls")),
    path("xero/tax-rates/<int:pk>/link/", tax_links.taxrate_link, name="taxrate_link"),
    path(
        "xero/tax-rates/<int:pk>/link/<int:connection>/",
        tax_links.taxrate_link_pick,
        name="taxrate_link_pick",
    ),
]
