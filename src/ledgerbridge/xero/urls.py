from django.urls import include, path

from ledgerbridge.xero import compare_views, sync_views, tax_links, views, webhook_views

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
    path("xero/<int:pk>/compare/", compare_views.start, name="compare"),
    # Where Xero delivers webhook events: open (no login), every delivery signed (WH-4).
    path("xero/webhooks/", webhook_views.endpoint, name="webhook_endpoint"),
    path("xero/<int:pk>/webhooks/", webhook_views.tab, name="webhooks"),
    path("xero/<int:pk>/webhooks/key/", webhook_views.save_key, name="webhook_key"),
    path("xero/<int:pk>/webhooks/catch-up/", webhook_views.catch_up, name="webhook_catch_up"),
    path(
        "xero/<int:pk>/webhooks/<int:event>/replay/",
        webhook_views.replay,
        name="webhook_replay",
    ),
    path(
        "xero/<int:pk>/compare/<int:run>.json",
        compare_views.progress,
        name="compare_progress",
    ),
    path("xero/imports/", include("ledgerbridge.xero.import_urls")),
    path("xero/tracking/", include("ledgerbridge.xero.tracking_urls")),
    path("xero/sync/", sync_views.settings_page, name="sync_settings"),
    path("xero/<int:pk>/errors/", sync_views.errors_page, name="sync_errors"),
    path("xero/<int:pk>/sync.json", sync_views.summary_json, name="sync_summary"),
    path("xero/<int:pk>/errors/<int:issue>/retry/", sync_views.retry_issue, name="sync_retry"),
    path("xero/<int:pk>/errors/resync/", sync_views.resync_failed, name="sync_resync_failed"),
    path("xero/records/<str:kind>/<int:local_id>/sync/", sync_views.sync_now, name="sync_now"),
    path("xero/records/<str:kind>/<int:local_id>/state/", sync_views.state_json, name="sync_state"),
    path("xero/tax-rates/<int:pk>/link/", tax_links.taxrate_link, name="taxrate_link"),
    path(
        "xero/tax-rates/<int:pk>/link/<int:connection>/",
        tax_links.taxrate_link_pick,
        name="taxrate_link_pick",
    ),
]
