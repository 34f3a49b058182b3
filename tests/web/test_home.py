from __future__ import annotations

from yiri.workflow.services import request_approval

from ..conftest import make_case
from .helpers import PAGE_BUDGET, client_for, text_of


def test_the_home_page_lists_my_cases_and_my_recent_activity(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).get("/")
    assert r.status_code == 200
    assert case.short_id in text_of(r)
    assert "Création" in text_of(r)  # my audit events, by short id only


def test_an_outsider_sees_nothing_of_other_agencies_on_the_home_page(cast):
    case = make_case(cast.worker)
    r = client_for(cast.outsider).get("/")
    assert case.short_id not in text_of(r)
    assert "Awa" not in text_of(r)


def test_a_supervisor_sees_the_approvals_waiting_for_them(cast):
    case = make_case(cast.worker)
    request_approval(cast.worker, case, "assessment")
    r = client_for(cast.manager).get("/")
    page = text_of(r)
    assert "Approbations à donner (1)" in page
    assert case.short_id in page
    assert "Approbation demandée" in page  # the notification


def test_the_home_page_is_light(cast):
    for _ in range(12):
        make_case(cast.worker)
    r = client_for(cast.worker).get("/")
    assert len(r.content) < PAGE_BUDGET


def test_a_partner_sees_no_case_menu(cast):
    page = text_of(client_for(cast.partner).get("/"))
    assert "Rechercher" not in page.split("Bonjour")[0]
    assert "Dossiers" not in page.split("Bonjour")[0]


def test_notifications_are_marked_read(cast):
    from yiri.workflow.services import unread_notifications

    case = make_case(cast.worker)
    request_approval(cast.worker, case, "assessment")
    c = client_for(cast.manager)
    ids = [str(n.pk) for n in unread_notifications(cast.manager)]
    assert ids
    c.post("/notifications/read/", {"ids": ids})
    assert not list(unread_notifications(cast.manager))
