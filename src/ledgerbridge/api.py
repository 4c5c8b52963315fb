"""The REST API root (django-ninja), mounted at /api/v1/."""

from ninja import NinjaAPI

api = NinjaAPI(title="Ledgerbridge", version="1", urls_namespace="api")
