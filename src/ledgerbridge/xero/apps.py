from importlib import import_module

from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "ledgerbridge.xero"
    label = "xero"
    verbose_name = "Xero integration"

    def ready(self) -> None:
        # Registers the receivers of `connections.connection_ready` (queueing waiting work).
        import_module("ledgerbridge.xero.tasks")
