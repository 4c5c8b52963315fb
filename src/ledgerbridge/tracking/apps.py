from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "ledgerbridge.tracking"
    label = "tracking"
