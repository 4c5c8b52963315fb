from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ledgerbridge.catalog"
    label = "catalog"
