from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from yiri.sync.admin import SyncedAdmin

from . import throttle
from .forms import RoleForm
from .models import Role, User, UserGroup


@admin.register(Role)
class RoleAdmin(SyncedAdmin):
    """Rights as tables of checkboxes and selects (``RoleForm``), checked against the action
    list and the form sections; every change is audited by ``yiri.audit.signals``."""

    form = RoleForm
    list_display = ("name_fr", "code", "scope")
    list_filter = ("scope",)
    search_fields = ("code", "name_fr", "name_en")
    fieldsets = (
        (None, {"fields": ("code", "name_fr", "name_en", "scope")}),
        (_("Actions permises"), {"fields": ("permissions",)}),
        (_("Droits par section de formulaire"), {"fields": ("form_rights",)}),
        (_("Champs restreints"), {"fields": ("field_rights",)}),
    )


@admin.register(UserGroup)
class UserGroupAdmin(SyncedAdmin):
    list_display = ("name", "agency")
    list_filter = ("agency",)


_VERBS = {"add": _("Peut ajouter"), "change": _("Peut modifier"), "delete": _("Peut supprimer"),
          "view": _("Peut consulter")}


def permission_label(perm: Permission) -> str:
    """A Django permission in the reader's language: its stored name is English text
    ("Can add rôle") written when the tables were made."""
    verb, _sep, _model = perm.codename.partition("_")
    model = perm.content_type.model_class()
    if verb not in _VERBS or model is None:
        return str(perm)
    return gettext("%(app)s | %(verb)s : %(model)s") % {
        "app": model._meta.app_config.verbose_name, "verb": _VERBS[verb],
        "model": model._meta.verbose_name,
    }


class FrenchPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(FrenchPermissionsMixin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(FrenchPermissionsMixin, SyncedAdmin, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "agency", "is_active",
                    "is_locked")
    list_filter = ("role", "agency", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Yiri"), {"fields": ("role", "agency", "user_groups", "relay_cell", "phone", "language",
                                "failed_logins", "locked_until")}),
    )
    filter_horizontal = ("user_groups", "groups", "user_permissions")
    actions = ["unlock"]

    @admin.display(boolean=True, description=_("en attente"))
    def is_locked(self, obj):
        return obj.is_locked

    @admin.action(description=_("Débloquer les comptes sélectionnés (fin de l'attente)"),
                  permissions=["change"])
    def unlock(self, request, queryset):
        count = throttle.unlock(queryset, request.user, request)
        self.message_user(request, ngettext("%(n)d compte débloqué.", "%(n)d comptes débloqués.",
                                            count) % {"n": count})
