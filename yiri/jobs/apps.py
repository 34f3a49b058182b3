from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Background jobs with progress: exports, batch deduplication, re-encryption,
    imports (issue 11, item 5)."""

    name = "yiri.jobs"
    label = "jobs"
    verbose_name = _("Travaux en arrière-plan")
