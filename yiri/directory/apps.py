from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    """The network itself: member organisations, telecentres, people's profiles,
    trainings and inventory surveys (issue 12)."""

    name = "yiri.directory"
    label = "directory"
    verbose_name = _("Annuaire du réseau")
