from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "ledgerbridge.work"
    label = "work"
