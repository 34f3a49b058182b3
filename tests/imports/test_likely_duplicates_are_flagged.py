"""A row that the live duplicate check finds likely to be a child already registered is
flagged in the preview (with the case's number when the uploader may see it), still
imported, and the pair goes to the data manager's review queue."""

from __future__ import annotations

from yiri.imports.services import check_batch, create_batch, run_import, set_mapping
from yiri.matching.models import MatchCandidate

from ..conftest import make_case
from .data import MAPPING, ROWS, csv_bytes


def test_a_likely_duplicate_is_flagged_then_queued(cast):
    known = make_case(cast.admin)  # Awa Ouédraogo, 12, registered at BF-KAD
    batch = create_batch(cast.admin, "case", "enfants.csv", csv_bytes())
    set_mapping(cast.admin, batch, MAPPING)
    check_batch(batch)
    flagged = {d["line"]: d for d in batch.duplicates}
    assert 2 in flagged  # the row of Awa Ouédraogo (ROWS[0])
    assert known.short_id in flagged[2]["shown"]
    assert ROWS[1][1] == "Moussa" and 3 not in flagged
    run_import(batch)
    assert batch.created_count == 3
    from django.db.models import Q

    assert MatchCandidate.objects.filter(Q(record_id=known.pk) | Q(other_id=known.pk)).exists()
