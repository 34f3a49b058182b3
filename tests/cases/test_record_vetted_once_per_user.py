"""The case page's panels (notes, flags, attachments) reuse the record ``access_record``
gave to the same user in the same request (``access.vetted``), and check again for anyone
else: a record handed over from one user's request never opens another's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from yiri.attachments.services import attachments_for
from yiri.cases.access import access_record, vetted
from yiri.cases.models import Case
from yiri.cases.notes import add_note, flags_for, notes_for

from ..conftest import make_case


def test_a_record_vetted_for_a_user_is_not_looked_up_again_for_that_user(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Visite faite")
    record = access_record(cast.worker, Case, case.pk)
    with CaptureQueriesContext(connection) as queries:
        assert vetted(cast.worker, record) is record
    assert len(queries) == 0
    assert [n.body for n in notes_for(cast.worker, record)] == ["Visite faite"]


@pytest.mark.parametrize("panel", [notes_for, flags_for, attachments_for])
def test_a_record_vetted_for_one_user_is_refused_to_an_outsider(cast, panel):
    case = make_case(cast.worker)
    record = access_record(cast.worker, Case, case.pk)
    with pytest.raises(Http404):
        panel(cast.outsider, record)


def test_a_record_not_got_through_access_record_is_checked(cast):
    case = make_case(cast.worker)
    loaded = Case.objects.get(pk=case.pk)
    with pytest.raises(Http404):
        vetted(cast.outsider, loaded)
    assert vetted(cast.worker, loaded).pk == case.pk
