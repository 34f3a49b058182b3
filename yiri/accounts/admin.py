from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiri.sync.admin import SyncedAdmin

from . import reauth, throttle, two_factor
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
# django-otp's device admin shows each secret and its QR code to any administrator: devices
# are enrolled by their owner and reset by the "Réinitialiser" action below, never viewed.
for _model in (TOTPDevice,):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


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
    actions = ["unlock", "reset_two_factor"]

    def get_form(self, request, obj=None, **kwargs):
        """A role change needs the administrator's password (and code) given within the
        last minutes (``accounts/reauth.py``): otherwise the form says so, keeping what
        was typed, with a link to confirm in another tab."""
        form = super().get_form(request, obj, **kwargs)
        if obj is None or "role" not in form.base_fields:
            return form

        class RoleChangeNeedsReauth(form):
            def clean_role(self):
                role = self.cleaned_data.get("role")
                if role != obj.role and not reauth.is_recent(request):
                    raise ValidationError(format_html(
                        '{} <a href="{}" target="_blank" rel="noopener">{}</a>',
                        gettext("Changer le rôle demande de confirmer votre identité "
                                "(mot de passe et code) :"),
                        reauth.reauth_url(request, reverse("home")),
                        gettext("confirmer dans un nouvel onglet, puis enregistrer à nouveau.")))
                return role

        return RoleChangeNeedsReauth

    @admin.action(description=_("Réinitialiser la double authentification (nouvel enrôlement)"),
                  permissions=["change"])
    def reset_two_factor(self, request, queryset):
        count = 0
        for user in queryset:
            two_factor.reset(user, request.user, request)
            count += 1
        self.message_user(request, ngettext(
            "Double authentification réinitialisée pour %(n)d compte : il l'activera à sa "
            "prochaine connexion.",
            "Double authentification réinitialisée pour %(n)d comptes : ils l'activeront à "
            "leur prochaine connexion.", count) % {"n": count})

    @admin.display(boolean=True, description=_("en attente"))
    def is_locked(self, obj):
        return obj.is_locked

    @admin.action(description=_("Débloquer les comptes sélectionnés (fin de l'attente)"),
                  permissions=["change"])
    def unlock(self, request, queryset):
        count = throttle.unlock(queryset, request.user, request)
        self.message_user(request, ngettext("%(n)d compte débloqué.", "%(n)d comptes débloqués.",
                                            count) % {"n": count})
