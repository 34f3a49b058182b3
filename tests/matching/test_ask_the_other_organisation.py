""""Demander à l'autre organisation": a reviewer who sees only one record of a pair asks
the organisation owning the other, whose people are notified (a notification with no
text of the asker's record) and see the question on their page."""

from __future__ import annotations

import pytest

from yiri.cases.services import create_record
from yiri.matching.models import MatchCandidate, MatchQuestion, MatchStatus
from yiri.matching.person import person_from_record
from yiri.matching.review import propose
from yiri.matching.scoring import score_pair
from yiri.workflow.models import Notification, NotificationKind

from ..conftest import child_answers
from ..web.helpers import client_for, text_of


@pytest.fixture
def pair(cast):
    ace = create_record(cast.worker, "case", child_answers(name_first="Kossi", name_last="Mensah",
                                                           name_nickname="Kossiwa-Ace"))
    tgo = create_record(cast.outsider, "case", child_answers(
        name_first="Kossi", name_last="Mensah", location_current="TG-M-GOL"))
    return ace, tgo, propose(ace, tgo, score_pair(person_from_record(ace), person_from_record(tgo)),
                             source="batch")


def test_the_owner_of_the_other_record_is_notified_and_sees_the_question(cast, pair):
    ace, tgo, cand = pair
    r = client_for(cast.relay).post(f"/doublons/{cand.pk}/decision/", {"action": "ask"})
    assert r.status_code == 302
    q = MatchQuestion.objects.get()
    assert (q.record_id, q.to_agency, q.asked_by) == (tgo.pk, cast.tgo, cast.relay)
    note = Notification.objects.get(user=cast.outsider)
    assert note.kind == NotificationKind.MATCH_QUESTION and note.case_id == tgo.pk
    assert tgo.short_id in note.message and ace.short_id not in note.message
    assert MatchCandidate.objects.get().status == MatchStatus.ASKED
    page = client_for(cast.outsider).get("/doublons/questions/")
    assert tgo.short_id in text_of(page)
    for secret in (ace.short_id, str(ace.pk), "Kossiwa-Ace"):
        assert secret not in page.content.decode()


def test_nobody_else_sees_the_question(cast, pair):
    _ace, tgo, cand = pair
    client_for(cast.relay).post(f"/doublons/{cand.pk}/decision/", {"action": "ask"})
    assert tgo.short_id not in text_of(client_for(cast.worker).get("/doublons/questions/"))
    assert not Notification.objects.filter(user=cast.worker).exists()
    assert client_for(cast.partner).get("/doublons/questions/").status_code == 404


def test_the_case_page_names_who_asks(cast, pair):
    _ace, tgo, cand = pair
    client_for(cast.relay).post(f"/doublons/{cand.pk}/decision/", {"action": "ask"})
    page = text_of(client_for(cast.outsider).get(f"/cases/{tgo.pk}/"))
    assert "pourrait être le même qu'un des leurs" in page
    assert "Cellule de relais du Centre" in page and "contactez-la" in page


def test_a_reviewer_who_sees_both_asks_the_organisation_that_is_not_theirs(cast):
    bta = create_record(cast.provider.__class__.objects.create_user(
        "bworker", password="x" * 16, role=cast.worker.role, agency=cast.bta), "case",
        child_answers(name_first="Kossi", name_last="Mensah"))
    ace = create_record(cast.worker, "case", child_answers(name_first="Kossi", name_last="Mensah"))
    cand = propose(ace, bta, score_pair(person_from_record(ace), person_from_record(bta)),
                   source="batch")
    client_for(cast.admin).post(f"/doublons/{cand.pk}/decision/", {"action": "ask"})
    assert MatchQuestion.objects.get().to_agency == cast.bta
