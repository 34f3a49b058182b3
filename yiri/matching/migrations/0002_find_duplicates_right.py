"""The seeded roles gain ``find_duplicates`` (roles version 7): relay-cell data managers,
the national coordination and administrators run the batch deduplication over the cases
of their scope (``matching/jobs.py``).

A role whose system actions an administrator changed is left as it is (see
network/reference.py). On a new database the seed already holds the change.
"""

from django.db import migrations

# code: (system actions as shipped in version 6, as shipped in version 7)
_CHANGES = {
    "administrator": (
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes", "erase_records"],
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes", "erase_records",
         "find_duplicates"]),
    "relay_data_manager": (["view_reports", "resolve_conflicts", "view_sync", "manage_nodes",
                            "erase_records"],
                           ["view_reports", "resolve_conflicts", "view_sync", "manage_nodes",
                            "erase_records", "find_duplicates"]),
    "national_coordinator": (["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes", "erase_records"],
                             ["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes", "erase_records", "find_duplicates"]),
}


def add_find_duplicates_right(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, (old, new) in _CHANGES.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            change_actions_if_unchanged(role, "system", old, new)
    mark_version(apps, "roles", 7)


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0001_dedupe_runs_and_pairs"),
        ("accounts", "0011_recovery_codes"),
        ("network", "0004_field_clocks"),
    ]

    operations = [migrations.RunPython(add_find_duplicates_right, migrations.RunPython.noop)]
