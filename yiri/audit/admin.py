from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiri.accounts.models import RecordType

from .models import AuditEvent

# What an audit row can be about, as an administrator reads it (the rows keep the code).
_SUBJECTS = {**dict(RecordType.choices), "user": _("Utilisateur"), "role": _("Rôle")}


class SubjectFilter(admin.SimpleListFilter):
    title = _("type de fiche")
    parameter_name = "record_type"

    def lookups(self, request, model_admin):
        return list(_SUBJECTS.items())

    def queryset(self, request, queryset):
        return queryset.filter(record_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is never edited."""

    list_display = ("at", "action", "user", "subject", "record_id", "ip")
    list_filter = ("action", SubjectFilter)
    date_hierarchy = "at"

    @admin.display(description=_("Sur"), ordering="record_type")
    def subject(self, event: AuditEvent) -> str:
        return str(_SUBJECTS.get(event.record_type, event.record_type))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
