from django.db import migrations


class Migration(migrations.Migration):
    """The name match keys of issue 10 (sound key, sound key less one letter, words joined
    at an apostrophe or a hyphen, names of other scripts in Latin letters, parents' names)
    are new tokens: the search index is rebuilt after this migration by the
    ``post_migrate`` handler in ``cases.apps`` (no table changes here)."""

    dependencies = [
        ('cases', '0010_sealed_columns'),
    ]

    operations = []
