"""A file with bad rows: the preview lists each bad row with its line and its reason in
French, and the import writes nothing at all (no case, no change-log entry, no audit row)."""

from __future__ import annotations

import pytest

from yiri.audit.models import AuditEvent
from yiri.cases.models import Case
from yiri.imports.models import ImportBatch, ImportedRow
from yiri.imports.services import check_batch, create_batch, run_import, set_mapping
from yiri.sync.models import Operation

from .data import MAPPING, ROWS, csv_bytes

BAD = ROWS + [
    ["A-4", "", "Traoré", "Féminin", "10", "2026-02-03", "BF-KAD"],        # no first name
    ["A-5", "Issa", "Zongo", "peut-être", "11", "2026-02-03", "BF-KAD"],   # not a choice
    ["A-6", "Aminata", "Diallo", "Féminin", "douze", "2026-02-03", "BF-KAD"],  # not a number
    ["A-7", "Salif", "Compaoré", "Masculin", "8", "2026-13-40", "Nulle-part"],  # date, place
]


@pytest.fixture
def checked(cast):
    batch = create_batch(cast.admin, "case", "enfants.csv", csv_bytes(BAD))
    set_mapping(cast.admin, batch, MAPPING)
    return check_batch(batch)


def test_each_bad_row_is_reported_with_its_line_and_reason(checked):
    assert checked.total_rows == 7 and checked.error_rows == 4
    by_line = {e["line"]: " ".join(e["messages"]) for e in checked.errors}
    assert sorted(by_line) == [5, 6, 7, 8]  # line 1 holds the headers
    assert "obligatoire" in by_line[5] and "Prénom" in by_line[5]
    assert "Colonne « Sexe »" in by_line[6] and "n'est pas un choix possible" in by_line[6]
    assert "Colonne « Âge »" in by_line[7] and "nombre" in by_line[7]
    assert "date valide" in by_line[8] and "Lieu inconnu" in by_line[8]


def test_the_preview_writes_nothing(checked):
    assert Case.objects.count() == 0
    assert Operation.objects.filter(entity="case").count() == 0


def test_the_import_of_a_file_with_bad_rows_writes_nothing(checked):
    audits = AuditEvent.objects.count()
    batch = run_import(checked)
    assert batch.status == ImportBatch.Status.CHECKED
    assert "rien n'a été importé" in batch.message
    assert batch.error_rows == 4
    assert Case.objects.count() == 0
    assert Operation.objects.filter(entity="case").count() == 0
    assert ImportedRow.objects.count() == 0
    assert AuditEvent.objects.count() == audits


def test_the_bad_rows_messages_hold_no_name(checked):
    text = str(checked.errors)
    for name in ("Traoré", "Issa", "Zongo", "Aminata", "Salif", "douze"):
        assert name not in text


def test_a_name_in_a_column_of_choices_is_not_repeated_in_the_stored_errors(cast):
    """A column mapped to the wrong field: the child's name lands in a field of choices,
    whose message would quote it; the batch's errors are stored in clear, so not there."""
    rows = [["A-9", "Issa", "Zongo", "Kadidiatou", "11", "2026-02-03", "BF-KAD"]]
    batch = create_batch(cast.admin, "case", "enfants.csv", csv_bytes(rows))
    set_mapping(cast.admin, batch, MAPPING)
    checked = check_batch(batch)
    assert checked.error_rows == 1
    text = " ".join(" ".join(e["messages"]) for e in checked.errors)
    assert "n'est pas un choix possible" in text
    assert "Kadidiatou" not in text
    assert "Kadidiatou" not in str(ImportBatch.objects.values_list("errors", flat=True).get(pk=batch.pk))
