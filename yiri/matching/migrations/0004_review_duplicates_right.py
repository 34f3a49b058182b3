"""The seeded roles gain ``review_duplicates`` (roles version 8): relay-cell data managers,
the national coordination and administrators review possible duplicates, merge records
and undo a merge (``matching/review.py``).

A role whose system actions an administrator changed is left as it is (see
network/reference.py). On a new database the seed already holds the change.
"""

from django.db import migrations

# code: (system actions as shipped in version 7, as shipped in version 8)
_CHANGES = {
    "administrator": (
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes", "erase_records", "find_duplicates"],
        ["manage_users", "manage_roles", "manage_forms", "manage_network", "view_reports",
         "view_audit", "resolve_conflicts", "view_sync", "manage_nodes", "erase_records",
         "find_duplicates", "review_duplicates"]),
    "relay_data_manager": (["view_reports", "resolve_conflicts", "view_sync", "manage_nodes",
                            "erase_records", "find_duplicates"],
                           ["view_reports", "resolve_conflicts", "view_sync", "manage_nodes",
                            "erase_records", "find_duplicates", "review_duplicates"]),
    "national_coordinator": (["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes", "erase_records", "find_duplicates"],
                             ["view_reports", "view_audit", "manage_network", "view_sync",
                              "manage_nodes", "erase_records", "find_duplicates",
                              "review_duplicates"]),
}


def add_review_rights(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, (old, new) in _CHANGES.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            change_actions_if_unchanged(role, "system", old, new)
    mark_version(apps, "roles", 8)


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0003_review_and_merge"),
        ("accounts", "0011_recovery_codes"),
        ("network", "0004_field_clocks"),
    ]

    operations = [migrations.RunPython(add_review_rights, migrations.RunPython.noop)]
