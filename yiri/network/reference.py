"""Reference data — places, the default form set, the seeded roles — seeded once per database.

``load_reference_data`` runs at every start (``run.sh``). A data set is seeded only while
this database has no ``SeededDataSet`` row for it: its missing items are created, existing
ones are never changed, then the row is written and the set is not seeded again. So what
an administrator edited in the admin (a lookup label, a role's rights, a place's name)
survives every restart.

Later changes of the shipped data (a new lookup value, a corrected label, a role that
gains an action) are written twice: in the seed file or table, for new databases, and as
a data migration named for what it does, for existing ones. The migration uses the
helpers below, which only add what is missing and change a value only where it still
equals the previously shipped one, then raises the set's version with ``mark_version``::

    def add_lookup_value(apps, schema_editor):
        Lookup = apps.get_model("formconfig", "Lookup")
        LookupValue = apps.get_model("formconfig", "LookupValue")
        lookup = Lookup.objects.filter(code="referral_service").first()
        if lookup is not None:  # not seeded yet: the seed file already has the value
            add_missing(LookupValue, {"lookup": lookup, "code": "birth_registration"},
                        {"label_fr": "Enregistrement des naissances", "order": 130})
        mark_version(apps, "forms", 2)

    operations = [migrations.RunPython(add_lookup_value, migrations.RunPython.noop)]

On a new database migrations run before seeding, so such a migration finds nothing and
the seed (which already holds the change) does the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from yiri.sync.models import genesis

from .models import SeededDataSet


def _data_sets() -> list[tuple[str, int, Callable[[], object]]]:
    # Imported here: accounts and formconfig import network's models.
    from yiri.accounts.roles import ROLES_VERSION, seed_roles
    from yiri.directory.services import INVENTORY_FORM_VERSION, load_inventory_form
    from yiri.formconfig.services import FORM_SET_VERSION, load_form_set

    from .services import LOCATIONS_VERSION, load_locations

    return [
        ("locations", LOCATIONS_VERSION, load_locations),
        ("forms", FORM_SET_VERSION, load_form_set),
        ("roles", ROLES_VERSION, seed_roles),
        # The questionnaire of the network inventories (issue 12): a data set of its own,
        # so databases seeded before it get it at their next start.
        ("inventory_form", INVENTORY_FORM_VERSION, load_inventory_form),
    ]


@transaction.atomic
def seed_reference_data() -> dict[str, bool]:
    """Seed each reference data set not yet seeded in this database.

    Returns ``{name: True if seeded now, False if it already was}``. Safe to call at every
    start: a seeded set is not read again, so nothing an administrator edited is undone.
    """
    from yiri.formconfig.schema import clear_cache

    done: dict[str, bool] = {}
    seeded = set(SeededDataSet.objects.values_list("name", flat=True))
    for name, version, seed in _data_sets():
        if name in seeded:
            done[name] = False
            continue
        with genesis():  # the same rows, same ids, on every node: nothing to synchronise
            seed()  # creates only what is missing: a database seeded before markers keeps its edits
        SeededDataSet.objects.create(name=name, version=version)
        done[name] = True
    if any(done.values()):
        clear_cache()
    return done


# ---------------------------------------------------------------- for data migrations
# They take the model classes a migration gets from ``apps.get_model`` (historical models),
# never the app's own models, so that an old migration keeps working when models change.


def add_missing(model: Any, match: dict[str, Any], values: dict[str, Any]) -> bool:
    """Create the row found by ``match`` with ``values`` unless it exists; never change it.

    Returns whether a row was created. A row an administrator deleted is not looked for:
    use ``deleted``/``disabled`` flags, not deletion, to retire shipped items.
    """
    if model.objects.filter(**match).exists():
        return False
    model.objects.create(**match, **values)
    return True


def change_if_unchanged(row: Any, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Set each field of ``new`` on ``row`` whose value still equals the shipped ``old`` one.

    A field an administrator changed (its value differs from ``old``) is left as it is.
    Returns the names of the fields changed; running it twice changes nothing more.
    """
    changed = [name for name, value in new.items()
               if getattr(row, name) == old[name] and getattr(row, name) != value]
    for name in changed:
        setattr(row, name, new[name])
    if changed:
        row.save(update_fields=changed)
    return changed


def mark_version(apps: Any, name: str, version: int) -> None:
    """Record that data set ``name`` (if seeded here) now holds shipped ``version``."""
    marker = apps.get_model("network", "SeededDataSet")
    marker.objects.filter(name=name, version__lt=version).update(version=version)
