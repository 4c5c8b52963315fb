from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ledgerbridge.customers"
    label = "customers"
