"""The review pages are for ``review_duplicates`` only (relay-cell data managers, the
national coordination, administrators): an outsider and a case worker are refused every
one of them, and a reviewer sees only the pairs where they see a record — of a record
they do not see, the organisation only."""

from __future__ import annotations

import pytest

from yiri.cases.models import Case
from yiri.cases.services import create_record
from yiri.matching.merge import merge_records
from yiri.matching.models import MatchCandidate, MatchStatus, Merge, NotSamePair
from yiri.matching.review import propose
from yiri.matching.scoring import score_pair

from ..conftest import child_answers
from ..web.helpers import client_for, text_of


def _score(a, b):
    from yiri.matching.person import person_from_record

    return score_pair(person_from_record(a), person_from_record(b))


@pytest.fixture
def pair(cast):
    a = create_record(cast.worker, "case", child_answers(name_first="Mariam", name_last="Belem",
                                                         phone="76554433"))
    b = create_record(cast.colleague, "case", child_answers(name_first="Mariama", name_last="Bélem"))
    return a, b, propose(a, b, _score(a, b), source="batch")


def test_the_seeded_roles_that_review_duplicates(cast):
    may = {u for u, user in cast.everyone.items() if user.can("review_duplicates", "system")}
    assert may == {"admin", "relay", "coordinator"}


@pytest.mark.parametrize("who", ["worker", "manager", "provider", "partner", "outsider"])
def test_every_review_page_refuses_who_has_not_the_right(cast, pair, who):
    a, b, cand = pair
    merge = merge_records(cast.admin, a, b)
    c = client_for(getattr(cast, who))
    assert c.get("/doublons/a-examiner/").status_code == 403
    assert c.get(f"/doublons/{cand.pk}/").status_code == 404
    for action in ("same", "not_same", "ask"):
        assert c.post(f"/doublons/{cand.pk}/decision/", {"action": action}).status_code == 404
    assert c.post(f"/doublons/fusions/{merge.pk}/annuler/").status_code == 403
    assert c.post("/doublons/recherche-familiale/").status_code == 403
    assert Case._base_manager.get(pk=b.pk).deleted  # still merged: nothing was undone


def test_the_data_manager_compares_a_pair_side_by_side_and_sets_it_aside(cast, pair):
    a, b, cand = pair
    c = client_for(cast.relay)
    assert a.short_id in text_of(c.get("/doublons/a-examiner/"))
    page = text_of(c.get(f"/doublons/{cand.pk}/"))
    assert "Mariam" in page and "Mariama" in page and "76554433" in page
    assert "identique" in page and "différent" in page and "vide" in page
    assert c.post(f"/doublons/{cand.pk}/decision/", {"action": "not_same"}).status_code == 302
    assert NotSamePair.objects.count() == 1
    assert MatchCandidate.objects.get().status == MatchStatus.NOT_SAME
    assert a.short_id not in text_of(c.get("/doublons/a-examiner/"))


def test_the_data_manager_merges_from_the_pair_page_and_undoes_it(cast, pair):
    a, b, cand = pair
    c = client_for(cast.relay)
    r = c.post(f"/doublons/{cand.pk}/decision/", {"action": "same", "keep": "b"})
    assert r.status_code == 302
    assert Case._base_manager.get(pk=a.pk).deleted and not Case.objects.get(pk=b.pk).deleted
    page = text_of(c.get(f"/cases/{b.pk}/"))
    assert "Dossiers fusionnés dans celui-ci" in page and "Mariam" in page
    merge = Merge.objects.get()
    assert c.post(f"/doublons/fusions/{merge.pk}/annuler/").status_code == 302
    assert not Case.objects.get(pk=a.pk).deleted
    assert MatchCandidate.objects.get().status == MatchStatus.OPEN


def test_a_reviewer_sees_nothing_of_a_record_outside_their_scope(cast, pair):
    a, _b, _cand = pair
    tg = create_record(cast.outsider, "case", child_answers(
        name_first="Mariam", name_last="Belem", name_middle="Kpédzé", phone="90112233",
        location_current="TG-M-GOL"))
    cand = propose(a, tg, _score(a, tg), source="batch")
    c = client_for(cast.relay)  # the Centre cell: not Togo Enfants' records
    queue = c.get("/doublons/a-examiner/").content.decode()
    page = c.get(f"/doublons/{cand.pk}/").content.decode()
    for body in (queue, page):
        for secret in (tg.short_id, str(tg.pk), "Kpédzé", "90112233"):
            assert secret not in body, secret
    assert "Togo Enfants" in page or "TGO" in page
    r = c.post(f"/doublons/{cand.pk}/decision/", {"action": "same"})
    assert r.status_code == 403
    assert not Case._base_manager.get(pk=a.pk).deleted
