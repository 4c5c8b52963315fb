"""Routes of the import screens (filled in by import_views.py)."""

app_name = "xero_imports"
urlpatterns: list = []
