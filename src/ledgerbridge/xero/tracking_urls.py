"""Routes of the tracking-category screens (filled in by tracking_views.py)."""

app_name = "xero_tracking"
urlpatterns: list = []
