from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "yiri.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from . import signals  # noqa: F401
