from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "ledgerbridge.background"
    label = "background"
    verbose_name = "Background work"
