from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "ledgerbridge.xero"
    label = "xero"
    verbose_name = "Xero integration"

    def ready(self) -> None:
        # Imported here, not at module level: models must be ready first.
        from ledgerbridge.sync import services as sync
        from ledgerbridge.xero import imports, panels, tasks

        panels.connect()
        imports.set_queue(tasks.queue_import)
        sync.on_change(tasks.queue_sync)
