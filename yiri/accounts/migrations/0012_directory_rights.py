"""The seeded roles gain the network directory's rights (roles version 9,
``directory/access.py``): ``view_directory`` for every role but the partner;
``edit_directory`` and ``run_inventories`` for relay-cell data managers and the national
coordination; ``record_trainings`` for them and supervisors; administrators get all four.

A role whose system actions an administrator changed is left as it is (see
network/reference.py). On a new database the seed already holds the change.
"""

from django.db import migrations

# System actions as shipped in version 8 (after matching's find_duplicates, 7, and
# review_duplicates, 8).
_V8 = {
    "administrator": ["manage_users", "manage_roles", "manage_forms", "manage_network",
                      "view_reports", "view_audit", "resolve_conflicts", "view_sync",
                      "manage_nodes", "erase_records", "find_duplicates", "review_duplicates"],
    "manager": ["view_reports", "resolve_conflicts", "view_audit", "erase_records"],
    "case_worker": [],
    "service_provider": [],
    "relay_data_manager": ["view_reports", "resolve_conflicts", "view_sync", "manage_nodes",
                           "erase_records", "find_duplicates", "review_duplicates"],
    "national_coordinator": ["view_reports", "view_audit", "manage_network", "view_sync",
                             "manage_nodes", "erase_records", "find_duplicates",
                             "review_duplicates"],
}
_ALL = ["view_directory", "edit_directory", "record_trainings", "run_inventories"]
_ADDED = {
    "administrator": _ALL,
    "manager": ["view_directory", "record_trainings"],
    "case_worker": ["view_directory"],
    "service_provider": ["view_directory"],
    "relay_data_manager": _ALL,
    "national_coordinator": _ALL,
}


def add_directory_rights(apps, schema_editor):
    from yiri.accounts.roles import change_actions_if_unchanged
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, old in _V8.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            change_actions_if_unchanged(role, "system", old, old + _ADDED[code])
    mark_version(apps, "roles", 9)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0011_recovery_codes"),
        ("matching", "0004_review_duplicates_right"),
    ]

    operations = [migrations.RunPython(add_directory_rights, migrations.RunPython.noop)]
