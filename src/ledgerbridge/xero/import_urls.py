"""Routes of the import screens (views in import_views.py), under /configuration/integrations/
xero/imports/."""

from django.urls import path

from ledgerbridge.xero import import_views

app_name = "xero_imports"
urlpatterns = [
    path("<int:pk>/start/<str:kind>/", import_views.start, name="start"),
    path("<int:pk>/<str:kind>/", import_views.importer, name="importer"),
    path("runs/<int:run_id>/", import_views.run_detail, name="run"),
    path("runs/<int:run_id>/progress.json", import_views.run_progress, name="progress"),
]
