"""The live check at registration and edit: a child who may already be registered is
shown before saving. A worker who may see the other record gets its number, its name and
the reason per field; a worker who may not learns only which organisation to contact —
never a name, number, age or any field of the other record."""

from __future__ import annotations

import html

import pytest

from yiri.cases.models import Case
from yiri.cases.services import create_record
from yiri.matching.models import MatchCandidate, MatchSource

from ..conftest import child_answers
from ..web.helpers import client_for, text_of

TYPED = {
    "step": "save", "name_first": "Fatimata", "name_last": "Ouédraogo", "sex": "female",
    "age": "12", "registration_date": "2026-02-01", "location_current": "BF-KAD",
}


@pytest.fixture
def registered(cast):
    """ACE's worker's case of the child, with answers nobody else typed."""
    return create_record(cast.worker, "case", child_answers(
        name_first="Fatimata", name_last="Ouédraogo", name_middle="Zénabou",
        name_nickname="Tatakoulé", phone="70998877", date_of_birth="2013-11-02",
        address_current="Secteur 27, derrière le marché de Kossodo"))


def _hidden(response, name: str) -> str:
    value = response.content.decode().split(f'name="{name}" value="', 1)[1].split('"', 1)[0]
    return html.unescape(value)


def _secrets(case) -> list[str]:
    return [case.short_id, str(case.pk), case.pk.hex, "Zénabou", "Zenabou", "Tatakoulé",
            "70998877", "2013-11-02", "02/11/2013", "Kossodo", "13 ans", "Secteur 27"]


def test_outside_its_scope_a_worker_learns_only_the_organisation_to_contact(cast, registered):
    r = client_for(cast.outsider).post("/cases/new/", TYPED)
    assert r.status_code == 200
    assert not Case.objects.filter(owner=cast.outsider).exists()  # nothing saved yet
    body = r.content.decode()
    assert "Action Enfance" in text_of(r)
    for secret in _secrets(registered):
        assert secret not in body, secret
    assert "identique" not in body  # no reason per field either


def test_the_htmx_check_reveals_nothing_outside_scope_either(cast, registered):
    r = client_for(cast.outsider).post("/doublons/verifier/", TYPED, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Action Enfance" in text_of(r)
    for secret in _secrets(registered):
        assert secret not in r.content.decode(), secret


def test_in_its_scope_a_worker_sees_the_record_and_the_reason_per_field(cast, registered):
    r = client_for(cast.manager).post("/cases/new/", TYPED)
    text = text_of(r)
    assert registered.short_id in text and "Fatimata Zénabou Ouédraogo" in text
    assert "identique" in text  # the reason per field
    assert f'href="/cases/{registered.pk}/"' in r.content.decode()


def test_saving_after_seeing_the_check_registers_and_queues_the_pair(cast, registered):
    c = client_for(cast.outsider)
    first = c.post("/cases/new/", TYPED)
    seen = first.content.decode().split('name="dup_seen" value="', 1)[1].split('"', 1)[0]
    r = c.post("/cases/new/", {**TYPED, "dup_seen": seen})
    new = Case.objects.get(owner=cast.outsider)
    assert r.status_code == 302 and r["Location"] == f"/cases/{new.pk}/"
    pair = MatchCandidate.objects.get()
    assert {pair.record_id, pair.other_id} == {new.pk, registered.pk}
    assert pair.source == MatchSource.LIVE


def test_a_forged_confirmation_saves_nothing(cast, registered):
    client_for(cast.outsider).post("/cases/new/", {**TYPED, "dup_seen": "0" * 20})
    assert not Case.objects.filter(owner=cast.outsider).exists()


def test_a_child_with_no_near_name_is_saved_at_once(cast, registered):
    r = client_for(cast.outsider).post("/cases/new/", {**TYPED, "name_first": "Kodjovi",
                                                       "name_last": "Agbodjan", "sex": "male"})
    assert r.status_code == 302
    assert not MatchCandidate.objects.exists()


def test_an_edit_that_makes_a_duplicate_is_shown_before_saving(cast, registered):
    mine = create_record(cast.outsider, "case", child_answers(name_first="Kodjovi",
                                                              name_last="Agbodjan"))
    c = client_for(cast.outsider)
    url = f"/cases/{mine.pk}/section/basic_identity/"
    form = {k: v for k, v in TYPED.items() if k != "step"}
    r = c.post(url, form)
    assert r.status_code == 422 and "Action Enfance" in text_of(r)
    for secret in _secrets(registered):
        assert secret not in r.content.decode(), secret
    seen = _hidden(r, "dup_seen")
    saved = c.post(url, {**form, "dup_seen": seen, "stamps": _hidden(r, "stamps")})
    assert saved.status_code == 302, text_of(saved)
    assert MatchCandidate.objects.filter(source=MatchSource.LIVE).count() == 1


def test_a_role_that_may_not_register_is_refused_the_check(cast, registered):
    assert client_for(cast.provider).post("/doublons/verifier/", TYPED).status_code == 403
    assert client_for(cast.partner).post("/doublons/verifier/", TYPED).status_code == 403


def test_each_check_is_audited_with_counts_only(cast, registered):
    from yiri.audit.models import AuditAction, AuditEvent

    client_for(cast.outsider).post("/doublons/verifier/", TYPED)
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH, user=cast.outsider).last()
    assert event.details["kind"] == "live_check" and event.details["found"] == 1
    assert "Fatimata" not in str(event.details) and str(registered.pk) not in str(event.details)
