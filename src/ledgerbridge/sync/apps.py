from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "ledgerbridge.sync"
    label = "sync"
    verbose_name = "Sync state"
