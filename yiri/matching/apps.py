from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    """Finding the same child twice: name keys, search, duplicate detection, review and
    merge, tracing matches and matching between networks (issue 10)."""

    name = "yiri.matching"
    label = "matching"
    verbose_name = _("Doublons et recherche")
