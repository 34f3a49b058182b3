"""Roles gain single-field rights (``Role.field_rights``; roles version 5): a field can be
hidden or made read-only inside a section the role reads. The seeded service provider no
longer reads the child's identity numbers, address and phone, nor the free-text details of
the protection concerns.

A service provider role an administrator already restricted is left as it is. On a new
database the seed already holds the change.
"""

from django.db import migrations, models


def restrict_the_service_provider(apps, schema_editor):
    from yiri.accounts.roles import SEEDED_FIELD_RIGHTS
    from yiri.network.reference import mark_version

    Role = apps.get_model("accounts", "Role")
    for code, rights in SEEDED_FIELD_RIGHTS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None and not role.field_rights:
            role.field_rights = {rt: {k: str(v) for k, v in r.items()} for rt, r in rights.items()}
            role.save(update_fields=["field_rights"])
    mark_version(apps, "roles", 5)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0008_api_tokens_as_hashes"),
    ]

    operations = [
        migrations.AddField(
            model_name="role",
            name="field_rights",
            field=models.JSONField(blank=True, default=dict,
                                   verbose_name="droits restreints par champ"),
        ),
        migrations.RunPython(restrict_the_service_provider, migrations.RunPython.noop),
    ]
