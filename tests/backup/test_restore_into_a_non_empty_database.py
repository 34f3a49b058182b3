"""A restore never replaces data: an installation holding records or operations refuses it
with a message saying what to do, and stays as it was."""

from __future__ import annotations

from tests.backup.conftest import as_office, run


def test_restoring_over_a_database_with_records_is_refused_and_changes_nothing(
        office, backup_file):
    before = office.digest()
    done = run(office, "restore", str(backup_file))
    assert done.returncode == 1
    assert "Restauration refusée" in done.stderr
    assert "installation neuve" in done.stderr
    assert office.digest() == before


def test_restoring_over_a_database_with_only_operations_is_refused(office, backup_file, nodes):
    new = as_office(nodes("busy"), office)
    new.install()
    new.script("""
from yiri.network.models import Location
place = Location.objects.get(code="BF-KAD")
place.name = "Kadiogo (modifié)"
place.save()
""")
    done = run(new, "restore", str(backup_file))
    assert done.returncode == 1
    assert "0 dossier(s), 1 opération(s)" in done.stderr


def test_a_freshly_installed_node_counts_as_empty_and_takes_the_backup(office, made_backup, nodes):
    path, digest = made_backup
    new = as_office(nodes("installed"), office)
    new.install()
    new.manage("restore", str(path))
    assert new.digest() == digest
