from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "ledgerbridge.purchasing"
    label = "purchasing"
