from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "ledgerbridge.xero"
    label = "xero"
    verbose_name = "Xero integration"

    def ready(self) -> None:
        # Django's place for wiring a plug-in: models are ready only from here on.
        from ledgerbridge.sync import services as sync
        from ledgerbridge.xero import comparisons, imports, panels, tasks, webhooks

        panels.connect()  # the panels and actions on the product's screens
        imports.set_queue(tasks.queue_import)  # import runs reach the worker
        comparisons.set_queue(tasks.queue_comparison)  # and so do comparisons
        webhooks.set_queue(tasks.queue_webhook_events)  # and stored webhook events
        sync.on_change(tasks.queue_sync)  # a committed change queues its organisation's sync
        # Importing `tasks` also registers its `connections.connection_ready` receiver.
