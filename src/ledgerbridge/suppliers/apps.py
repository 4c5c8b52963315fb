from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "ledgerbridge.suppliers"
    label = "suppliers"
