"""A closed case is read-only until reopened; reopening needs a reason, kept as a note
(issue 6, defect 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.cases.models import Case, Note
from yiri.cases.services import update_record
from yiri.workflow.models import ApprovalKind
from yiri.workflow.services import WorkflowError, decide_approval, reopen_case, request_approval

from ..conftest import make_case
from ..web.helpers import client_for, text_of


def closed_case(cast):
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, ApprovalKind.CLOSURE,
                                closure_reason="formal_closing")
    decide_approval(cast.manager, approval, approve=True)
    return Case.objects.get(pk=case.pk)


def test_a_closed_case_refuses_edits_with_a_message_saying_why(cast):
    case = closed_case(cast)
    for user in (cast.worker, cast.manager):
        with pytest.raises(PermissionDenied, match="rouvrez-le"):
            update_record(user, case, {"risk_level": "high"})


def test_the_closed_case_page_offers_no_edit_button_and_says_it_is_read_only(cast):
    case = closed_case(cast)
    r = client_for(cast.worker).get(f"/cases/{case.pk}/")
    assert "lecture seule jusqu'à sa réouverture" in text_of(r)
    assert "?edit=" not in r.content.decode()
    posted = client_for(cast.worker).post(f"/cases/{case.pk}/section/protection_concerns/",
                                          {"stamps": "{}", "risk_level": "high"})
    assert posted.status_code in (403, 422)
    assert Case.objects.get(pk=case.pk).risk_level != "high"


def test_reopening_needs_a_reason_which_is_kept_as_a_note(cast):
    case = closed_case(cast)
    with pytest.raises(WorkflowError, match="pourquoi"):
        reopen_case(cast.manager, case, reason="   ")
    assert Case.objects.get(pk=case.pk).status == "closed"
    reopen_case(cast.manager, case, reason="L'enfant a de nouveau disparu")
    note = Note.objects.of(case).get()
    assert note.body == "L'enfant a de nouveau disparu"
    case = update_record(cast.worker, Case.objects.get(pk=case.pk), {"risk_level": "high"})
    assert case.risk_level == "high"


def test_an_empty_reopen_reason_is_refused_on_the_page(cast):
    case = closed_case(cast)
    r = client_for(cast.manager).post(f"/cases/{case.pk}/reopen/", {"reason": ""}, follow=True)
    assert "Indiquez pourquoi le dossier est rouvert" in text_of(r)
    assert Case.objects.get(pk=case.pk).status == "closed"
