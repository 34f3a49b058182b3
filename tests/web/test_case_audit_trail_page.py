"""A supervisor sees, on a case's page, who viewed and changed it; nobody else does."""

from __future__ import annotations

from yiri.accounts.models import Role
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import make_case, referred_case
from .helpers import client_for, text_of


def test_the_supervisor_sees_who_viewed_and_changed_a_case_of_the_team(cast):
    case = make_case(cast.worker)
    client_for(cast.worker).get(f"/cases/{case.pk}/")  # a view, audited
    c = client_for(cast.manager)
    page = c.get(f"/cases/{case.pk}/")
    assert f"/cases/{case.pk}/audit/" in page.content.decode()
    r = c.get(f"/cases/{case.pk}/audit/")
    assert r.status_code == 200
    text = text_of(r)
    assert "Worker" in text and "Consultation" in text and "Création" in text
    assert "Awa" not in text  # who and when, not what


def test_a_case_worker_has_no_trail_link_and_is_refused(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    assert f"/cases/{case.pk}/audit/" not in c.get(f"/cases/{case.pk}/").content.decode()
    assert c.get(f"/cases/{case.pk}/audit/").status_code == 403


def test_an_outsider_is_refused_as_if_the_case_did_not_exist(cast):
    case = make_case(cast.worker)
    assert client_for(cast.outsider).get(f"/cases/{case.pk}/audit/").status_code == 404


def test_a_supervisor_who_receives_a_referral_sees_no_trail_of_it(cast):
    """A right through a share reaches the case, not who else looked at it."""
    case, _referral, _row = referred_case(cast)
    cast.provider.role = Role.objects.get(code="manager")
    cast.provider.save()
    c = client_for(cast.provider)
    assert f"/cases/{case.pk}/audit/" not in c.get(f"/cases/{case.pk}/").content.decode()
    assert c.get(f"/cases/{case.pk}/audit/").status_code == 403


def test_the_trail_shows_only_this_case(cast):
    mine, other = make_case(cast.worker), make_case(cast.worker)
    client_for(cast.worker).get(f"/cases/{other.pk}/")
    views_of_other = AuditEvent.objects.filter(record_id=other.pk, action=AuditAction.VIEW).count()
    assert views_of_other >= 1
    r = client_for(cast.manager).get(f"/cases/{mine.pk}/audit/")
    assert text_of(r).count("Consultation") == AuditEvent.objects.filter(
        record_id=mine.pk, action=AuditAction.VIEW).count()
