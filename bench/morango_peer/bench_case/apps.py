from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_wal(sender, connection, **kwargs):
    # Two processes use a node's file during a sync (its server and, on the client node,
    # the sync command): write-ahead logging, as Kolibri and Yiri run SQLite.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")


class BenchCaseConfig(AppConfig):
    name = "bench_case"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        connection_created.connect(_sqlite_wal)
