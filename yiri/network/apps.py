from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _private_sqlite(sender, connection, **kwargs) -> None:
    # The node's database stays owner-only whatever created the file (yiri/lib/datadir.py).
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if Path(name).is_absolute():
            from yiri.lib.datadir import tighten_sqlite_files

            tighten_sqlite_files(Path(name))


class NetworkConfig(AppConfig):
    name = "yiri.network"
    label = "network"
    verbose_name = _("Réseau")

    def ready(self) -> None:
        connection_created.connect(_private_sqlite, dispatch_uid="yiri-private-sqlite")
