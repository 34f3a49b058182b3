"""The seeded roles gain ``manage_nodes`` (roles version 4): relay-cell data managers, the
national coordination and administrators enrol and revoke child nodes (page "Nœuds").

A role whose system actions an administrator changed is left as it is (see
network/reference.py). On a new database the seed already holds the change.
"""

from django.db import migrations

# code: (system actions as shipped in versions 2–3, as shipped in version 4)
_CHANGES = {
    "administrator": (
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync"],
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes"]),
    "relay_data_manager": (["view_reports", "resolve_conflicts", "view_sync"],
                           ["view_reports", "resolve_conflicts", "view_sync", "manage_nodes"]),
    "national_coordinator": (["view_reports", "view_audit", "manage_network", "view_sync"],
                             ["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes"]),
}


def add_node_rights(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, (old, new) in _CHANGES.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            change_actions_if_unchanged(role, "system", old, new)
    mark_version(apps, "roles", 4)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_supervisors_see_audit_trails"),
    ]

    operations = [migrations.RunPython(add_node_rights, migrations.RunPython.noop)]
