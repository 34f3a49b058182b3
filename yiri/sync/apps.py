from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "yiri.sync"
    label = "sync"
    verbose_name = "Synchronisation"
