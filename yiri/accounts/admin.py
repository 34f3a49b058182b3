from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Action, FormRight, RecordType, Role, SystemAction, User, UserGroup


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name_fr", "code", "scope")
    readonly_fields = ("permission_table",)
    fields = ("code", "name_fr", "name_en", "scope", "permission_table", "permissions", "form_rights")

    @admin.display(description=_("Tableau des droits"))
    def permission_table(self, role: Role):
        """The role's rights as a table: one row per action, one column per record type."""
        types = list(RecordType)
        header = format_html_join("", "<th scope='col'>{}</th>", ((t.label,) for t in types))
        rows = format_html_join(
            "", "<tr><th scope='row'>{}</th>{}</tr>",
            ((a.label, format_html_join("", "<td>{}</td>", (
                ("✔" if role.allows(a.value, t.value) else "·",) for t in types)))
             for a in Action),
        )
        system = ", ".join(str(s.label) for s in SystemAction if role.allows(s.value, "system")) or "—"
        rights = "; ".join(
            f"{rt}: " + ", ".join(f"{sec}={FormRight(v).label}" for sec, v in secs.items())
            for rt, secs in role.form_rights.items()
        ) or "—"
        return format_html(
            "<table><thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table>"
            "<p><strong>{}</strong> {}</p><p><strong>{}</strong> {}</p>",
            header, rows, _("Administration :"), system, _("Sections de formulaire :"), rights,
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
