"""Importing a file writes each case through the write path (sealed names, change log,
search tokens, audit); importing the same file again, as CSV or as XLSX, creates nothing."""

from __future__ import annotations

import pytest

from yiri.audit.models import AuditEvent
from yiri.cases.identity import read_answers
from yiri.cases.models import Case, NameToken
from yiri.formconfig.schema import get_schema
from yiri.imports.models import ImportBatch, ImportedRow
from yiri.imports.services import check_batch, create_batch, run_import, set_mapping
from yiri.sync.models import Operation

from .data import HEADERS, MAPPING, ROWS, csv_bytes, xlsx_bytes


def imported(user, name, data, mapping=MAPPING):
    batch = create_batch(user, "case", name, data)
    set_mapping(user, batch, mapping)
    check_batch(batch)
    return run_import(batch)


@pytest.mark.parametrize("name, make", [("enfants.csv", csv_bytes), ("enfants.xlsx", xlsx_bytes)])
def test_a_file_is_imported_through_the_write_path(cast, name, make):
    batch = imported(cast.admin, name, make())
    assert batch.status == ImportBatch.Status.DONE and batch.created_count == 3
    cases = list(Case.objects.order_by("short_id"))
    assert len(cases) == 3
    schema = get_schema("case")
    answers = [read_answers(c, schema) for c in cases]
    assert {a["name_first"] for a in answers} == {"Awa", "Moussa", "Fatimata"}
    awa = next(a for a in answers if a["name_first"] == "Awa")
    assert awa["sex"] == "female" and awa["age"] == 12
    assert awa["registration_date"] == "2026-01-15"
    assert all(c.owner == cast.admin and c.owning_agency == cast.ace for c in cases)
    # Names are sealed at rest, the search index is built, each case has its operation.
    for c in cases:
        stored = str(c.data) + c.identity_blob
        assert "Awa" not in stored and "Moussa" not in stored
    assert NameToken.objects.filter(record_id__in=[c.pk for c in cases]).exists()
    assert Operation.objects.filter(entity="case", kind="create").count() == 3
    assert AuditEvent.objects.filter(action="import").exists()
    assert bytes(batch.sealed_file) == b""  # the file is not kept once imported


def test_reimporting_the_same_file_creates_nothing(cast):
    imported(cast.admin, "enfants.csv", csv_bytes())
    ops = Operation.objects.count()
    again = create_batch(cast.admin, "case", "enfants.csv", csv_bytes())
    set_mapping(cast.admin, again, MAPPING)
    check_batch(again)
    assert again.new_rows == 0 and again.skipped_rows == 3
    run_import(again)
    assert again.created_count == 0
    assert Case.objects.count() == 3
    assert Operation.objects.count() == ops


def test_reimporting_as_xlsx_what_came_as_csv_creates_nothing(cast):
    imported(cast.admin, "enfants.csv", csv_bytes())
    imported(cast.admin, "enfants.xlsx", xlsx_bytes())
    assert Case.objects.count() == 3


def test_a_file_grown_by_one_row_adds_only_that_row(cast):
    imported(cast.admin, "enfants.csv", csv_bytes())
    more = ROWS + [["A-4", "Issa", "Zongo", "M", "11", "2026-02-03", "BF-KAD"]]
    batch = imported(cast.admin, "enfants.csv", csv_bytes(more))
    assert batch.created_count == 1 and batch.skipped_rows == 3
    assert Case.objects.count() == 4


def test_without_an_id_column_identical_rows_are_one_child(cast):
    mapping = {**MAPPING, "N°": ""}
    rows = ROWS + [ROWS[0]]
    imported(cast.admin, "enfants.csv", csv_bytes(rows), mapping)
    assert Case.objects.count() == 3
    imported(cast.admin, "enfants.csv", csv_bytes(rows), mapping)
    assert Case.objects.count() == 3
    # The keys are keyed hashes: nothing of the rows readable.
    for key in ImportedRow.objects.values_list("key", flat=True):
        assert "Awa" not in key and "A-1" not in key


def test_an_imported_batch_cannot_be_imported_twice(cast):
    from yiri.imports.services import ImportRefused

    batch = imported(cast.admin, "enfants.csv", csv_bytes())
    with pytest.raises(ImportRefused):
        run_import(batch)
    assert HEADERS  # the file's headers are those of data.py
