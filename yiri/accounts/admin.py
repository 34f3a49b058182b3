from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .forms import RoleForm
from .models import Role, User, UserGroup


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
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
    )


@admin.register(UserGroup)
class UserGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "agency")
    list_filter = ("agency",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "agency", "is_active")
    list_filter = ("role", "agency", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Yiri"), {"fields": ("role", "agency", "user_groups", "relay_cell", "phone", "language",
                                "failed_logins", "locked_until")}),
    )
    filter_horizontal = ("user_groups", "groups", "user_permissions")
