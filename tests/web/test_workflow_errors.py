"""A refused workflow action shows its message next to the form that was sent, keeps what
was typed, and the page comes back at that form (its action carries the form's anchor),
not at the top, out of sight of the panel."""

from __future__ import annotations

import html as htmllib
import re

from yiri.workflow.services import request_approval

from ..conftest import make_case
from .helpers import client_for


def _described_error(html: str, field_id: str) -> str:
    """The error text the field ``field_id`` points to with aria-describedby."""
    tag = re.search(rf'<(?:textarea|select|input)[^>]*id="{field_id}"[^>]*>', html)
    assert tag, f"no field {field_id}"
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described, "the field does not point to its error"
    assert 'aria-invalid="true"' in tag.group(0)
    err = re.search(rf'<p[^>]*id="{described.group(1)}"[^>]*>(.*?)</p>', html, flags=re.S)
    assert err and 'role="alert"' in err.group(0)
    return htmllib.unescape(err.group(1))


def test_a_rejection_without_comment_is_explained_next_to_the_comment(cast):
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, "assessment")
    c = client_for(cast.manager)
    form = c.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/approvals/{approval.pk}/decide/#decide-{approval.pk}"' in form
    assert f'id="decide-{approval.pk}"' in form
    r = c.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "Expliquez le refus" in _described_error(page, f"c-{approval.pk}")
    # Said once, beside the field, not in the messages at the top.
    top = page.split('id="workflow"')[0]
    assert "Expliquez le refus" not in top


def test_the_error_is_not_shown_again_on_the_next_visit(cast):
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, "assessment")
    c = client_for(cast.manager)
    c.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject"})
    assert "Expliquez le refus" not in c.get(f"/cases/{case.pk}/").content.decode()


def test_a_referral_without_organisation_is_explained_in_its_open_form(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/refer/", {"to_agency": "", "reason": "Soins urgents"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "Choisissez l'organisation" in _described_error(page, "rf-agency")
    assert re.search(r'<details[^>]*id="refer-form"[^>]*\bopen\b', page)
    assert "Soins urgents</textarea>" in page  # nothing typed is lost


def test_a_refused_closure_request_is_explained_next_to_the_request_form(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/approval/", {"kind": "closure", "closure_reason": "",
                                                "comment": "Famille retrouvée"})
    assert r.status_code == 422
    page = r.content.decode()
    assert "motif de clôture" in _described_error(page, "wf-closure")
    assert '<option value="closure" selected>' in page
    assert "Famille retrouvée</textarea>" in page


def test_an_action_whose_form_is_gone_is_explained_at_the_top_of_the_panel(cast):
    from yiri.workflow.services import decide_approval

    case = make_case(cast.worker)
    closure = request_approval(cast.worker, case, "closure", closure_reason="other")
    decide_approval(cast.manager, closure, approve=True)
    c = client_for(cast.manager)
    c.post(f"/cases/{case.pk}/reopen/", {"reason": "Nouvelle situation"})
    r = c.post(f"/cases/{case.pk}/reopen/", {"reason": "Encore"})  # reopened meanwhile
    assert r.status_code == 422
    panel = r.content.decode().split('id="workflow"', 1)[1]
    alert = re.search(r'<p[^>]*id="reopen-form"[^>]*role="alert"[^>]*>(.*?)</p>', panel)
    assert alert and "clôturé" in htmllib.unescape(alert.group(1))
