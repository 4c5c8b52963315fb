from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "ledgerbridge.xero"
    label = "xero"
    verbose_name = "Xero integration"
