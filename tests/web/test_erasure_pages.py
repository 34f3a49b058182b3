"""The erasure pages: a button on the case page for those with ``erase_records``, the list
of requests waiting, four eyes — and refusals for everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiri.accounts.models import User
from yiri.cases import identity
from yiri.cases.erasure import request_erasure
from yiri.cases.models import Case, Erasure, ErasureStatus

from ..conftest import PASSWORD, make_case
from .helpers import client_for, text_of

NAME = "Zéphyrine"


@pytest.fixture
def people(cast):
    second = User.objects.create_user("manager2", password=PASSWORD, role=cast.manager.role,
                                      agency=cast.ace, first_name="Mariam")
    second.user_groups.add(cast.team_a)
    foreign = User.objects.create_user("tmanager", password=PASSWORD, role=cast.manager.role,
                                       agency=cast.tgo, first_name="Kossi")
    return second, foreign


def page(case) -> str:
    return reverse("cases_record", args=[case.pk])


def ask_url(case) -> str:
    return reverse("cases_erasure", args=[case.pk])


def test_a_supervisor_sees_the_erasure_form_a_worker_does_not(cast):
    case = make_case(cast.worker, name_first=NAME)
    assert "Demander l'effacement" in text_of(client_for(cast.manager).get(page(case)))
    shown = text_of(client_for(cast.worker).get(page(case)))
    assert NAME in shown and "Demander l'effacement" not in shown
    assert "Effacements" not in text_of(client_for(cast.worker).get(reverse("home")))


def test_asking_then_approving_by_another_person_erases_the_case(cast, people):
    second, _foreign = people
    case = make_case(cast.worker, name_first=NAME)
    response = client_for(cast.manager).post(ask_url(case), {"reason": "request"})
    assert response.status_code == 302
    erasure = Erasure.objects.get(record_id=case.pk)

    # The requester is told to wait for someone else; the other supervisor gets the buttons.
    mine = text_of(client_for(cast.manager).get(page(case)))
    assert "Une autre personne habilitée doit approuver votre demande" in mine
    assert "Approuver l'effacement" not in mine
    listing = client_for(second).get(reverse("erasures"))
    assert listing.status_code == 200 and case.short_id in text_of(listing)
    assert NAME not in text_of(listing)

    approve = reverse("erasure_approve", args=[erasure.pk])
    c = client_for(second)
    unconfirmed = c.post(approve, {}, follow=True)
    assert "Cochez la case" in text_of(unconfirmed)
    assert not Case.objects.get(pk=case.pk).erased
    done = c.post(approve, {"confirm": "yes"}, follow=True)
    assert "Dossier effacé" in text_of(done)
    case = Case.objects.get(pk=case.pk)
    assert case.erased and identity.display_name(case) == ""
    shown = text_of(client_for(cast.worker).get(page(case)))
    assert NAME not in shown and "Dossier effacé" in shown


def test_the_requester_cannot_approve_their_own_request_through_the_page(cast):
    case = make_case(cast.worker, name_first=NAME)
    erasure = request_erasure(cast.manager, case, "request")
    response = client_for(cast.manager).post(reverse("erasure_approve", args=[erasure.pk]),
                                             {"confirm": "yes"})
    assert response.status_code == 403
    assert not Case.objects.get(pk=case.pk).erased
    assert Erasure.objects.get(pk=erasure.pk).status == ErasureStatus.REQUESTED
    # They may withdraw it.
    client_for(cast.manager).post(reverse("erasure_refuse", args=[erasure.pk]))
    assert Erasure.objects.get(pk=erasure.pk).status == ErasureStatus.REFUSED


@pytest.mark.parametrize("who", ["worker", "provider", "partner"])
def test_a_role_without_the_right_is_refused_everywhere(cast, who):
    case = make_case(cast.worker, name_first=NAME)
    erasure = request_erasure(cast.manager, case, "request")
    c = client_for(getattr(cast, who))
    assert c.get(reverse("erasures")).status_code == 403
    assert c.post(ask_url(case), {"reason": "request"}).status_code in (403, 404)
    for name in ("erasure_approve", "erasure_refuse"):
        assert c.post(reverse(name, args=[erasure.pk]), {"confirm": "yes"}).status_code == 403
    assert Erasure.objects.get(pk=erasure.pk).status == ErasureStatus.REQUESTED
    assert Erasure.objects.filter(record_id=case.pk).count() == 1


def test_an_outsider_learns_nothing_of_the_case_nor_of_its_request(cast):
    case = make_case(cast.worker, name_first=NAME)
    erasure = request_erasure(cast.manager, case, "request")
    c = client_for(cast.outsider)
    # Refused for the role, before the case is looked up: the same for any case id.
    assert c.post(ask_url(case), {"reason": "request"}).status_code == 403
    assert c.post(reverse("erasure_approve", args=[erasure.pk]), {"confirm": "yes"}).status_code == 403
    assert not Case.objects.get(pk=case.pk).erased


def test_the_right_reaches_only_the_records_in_ones_own_scope(cast, people):
    """A supervisor of another organisation holds the right but not the case: the request
    is neither listed nor found, and approving it is refused."""
    _second, foreign = people
    case = make_case(cast.worker, name_first=NAME)
    erasure = request_erasure(cast.manager, case, "request")
    c = client_for(foreign)
    listing = c.get(reverse("erasures"))
    assert listing.status_code == 200 and case.short_id not in text_of(listing)
    assert c.post(reverse("erasure_approve", args=[erasure.pk]), {"confirm": "yes"}).status_code == 404
    assert c.post(ask_url(case), {"reason": "request"}).status_code == 404
    assert not Case.objects.get(pk=case.pk).erased
    # The relay cell's data manager reaches the cell's cases: they may approve.
    response = client_for(cast.relay).post(reverse("erasure_approve", args=[erasure.pk]),
                                           {"confirm": "yes"})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).erased


def test_a_request_without_a_reason_is_refused_in_french_and_nothing_is_asked(cast):
    case = make_case(cast.worker, name_first=NAME)
    response = client_for(cast.manager).post(ask_url(case), {"reason": ""}, follow=True)
    assert "Choisissez le motif de l'effacement" in text_of(response)
    assert not Erasure.objects.filter(record_id=case.pk).exists()


def test_an_erased_case_shows_as_erased_in_the_list(cast, people):
    second, _ = people
    case = make_case(cast.worker, name_first=NAME)
    from yiri.cases.erasure import approve_erasure

    approve_erasure(second, request_erasure(cast.manager, case, "request"))
    listing = text_of(client_for(cast.manager).get(reverse("case_list")))
    assert case.short_id in listing and NAME not in listing and "effacé" in listing


def test_without_signing_in_every_erasure_page_sends_to_the_login(cast):
    from django.test import Client

    case = make_case(cast.worker, name_first=NAME)
    erasure = request_erasure(cast.manager, case, "request")
    c = Client()
    assert c.get(reverse("erasures")).status_code == 302
    for url in (ask_url(case), reverse("erasure_approve", args=[erasure.pk]),
                reverse("erasure_refuse", args=[erasure.pk])):
        response = c.post(url, {"reason": "request", "confirm": "yes"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Erasure.objects.get(pk=erasure.pk).status == ErasureStatus.REQUESTED


def test_approving_from_the_list_comes_back_to_the_list(cast, people):
    second, _ = people
    case = make_case(cast.worker, name_first=NAME)
    erasure = request_erasure(cast.manager, case, "request")
    c = client_for(second)
    assert "Effacements" in text_of(c.get(reverse("home")))
    response = c.post(reverse("erasure_approve", args=[erasure.pk]),
                      {"confirm": "yes", "back": "list"})
    assert response.status_code == 302 and response["Location"] == reverse("erasures")
    shown = text_of(c.get(page(case)))
    assert "Ce dossier est effacé" in shown and "Demander l'effacement" not in shown


def test_asking_or_approving_an_erasure_needs_a_recent_confirmation_of_identity(cast, people):
    import time

    from yiri.accounts import reauth

    second, _foreign = people
    case = make_case(cast.worker, name_first=NAME)

    def stale(client):
        session = client.session
        session[reauth.SESSION_KEY] = int(time.time()) - 3600
        session.save()
        return client

    asker = stale(client_for(cast.manager))
    response = asker.post(ask_url(case), {"reason": "request"}, HTTP_REFERER=page(case))
    assert response.status_code == 302 and "/reauth/" in response["Location"]
    assert not Erasure.objects.filter(record_id=case.pk).exists()

    erasure = request_erasure(cast.manager, case, "request")
    approver = stale(client_for(second))
    response = approver.post(reverse("erasure_approve", args=[erasure.pk]), {"confirm": "yes"})
    assert response.status_code == 302 and "/reauth/" in response["Location"]
    case = Case.objects.get(pk=case.pk)
    assert not case.erased and identity.display_name(case).startswith(NAME)
