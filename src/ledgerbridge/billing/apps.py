from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ledgerbridge.billing"
    label = "billing"
