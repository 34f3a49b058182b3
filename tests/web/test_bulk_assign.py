"""Bulk assignment from the case list."""

from __future__ import annotations

from yiri.cases.models import Case, RecordShare

from ..conftest import make_case
from .helpers import client_for, text_of


def test_bulk_assign_with_nothing_ticked_is_refused_with_a_clear_message(cast):
    make_case(cast.worker)
    c = client_for(cast.manager)
    r = c.post("/cases/assign/", {"assignee": str(cast.colleague.pk)}, follow=True)
    page = text_of(r)
    assert "Cochez au moins un dossier." in page
    assert "attribué(s)" not in page
    assert not RecordShare.objects.filter(kind="assigned").exists()


def test_bulk_assign_with_nothing_ticked_keeps_the_owner(cast):
    case = make_case(cast.worker)
    client_for(cast.manager).post("/cases/assign/", {"cases": ["not-a-uuid"],
                                                     "assignee": str(cast.colleague.pk)})
    assert Case.objects.get(pk=case.pk).owner == cast.worker
    assert not RecordShare.objects.filter(kind="assigned").exists()
