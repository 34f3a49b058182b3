"""Tracing: a family's request for a child is matched against the cases whose consent
allows tracing, ranked "likely" / "possible" as CPIMS+ ranks them (normalised by the best,
below 0.1 dropped, "likely" when alone or more than 0.7 above the mean), and reviewed in
the same queue."""

from __future__ import annotations

from types import SimpleNamespace

from yiri.cases.services import create_record
from yiri.matching.models import MatchBand, MatchCandidate, MatchSource, MatchStatus
from yiri.matching.review import access_candidate, not_the_same
from yiri.matching.tracing import find_tracing_matches, rank

from ..conftest import child_answers
from ..web.helpers import client_for, text_of


def _request(user, **sought):
    row = {"sought_name_first": "Issa", "sought_name_last": "Compaoré", "sought_sex": "male",
           "sought_age": 11, "trace_status": "open", **sought}
    return create_record(user, "tracing_request", {
        "inquiry_date": "2026-03-01", "tracing_request_status": "open",
        "inquirer_name_first": "Salif", "inquirer_name_last": "Compaoré",
        "inquirer_relation": "father", "traces": [row]})


def _child(user, consent: bool | None, **answers):
    extra = {} if consent is None else {"consent_tracing": consent}
    return create_record(user, "case", child_answers(name_first="Issa", name_last="Compaoré",
                                                     sex="male", age=11, **extra, **answers))


def test_only_a_child_whose_consent_allows_tracing_is_proposed(cast):
    allowed = _child(cast.worker, True)
    _child(cast.worker, False)
    _child(cast.worker, None)
    _request(cast.worker)
    assert find_tracing_matches(cast.relay) == 1
    cand = MatchCandidate.objects.get()
    assert cand.other_id == allowed.pk and cand.source == MatchSource.TRACING
    assert cand.trace_row and cand.band == MatchBand.LIKELY  # alone: likely


def test_the_cpims_ranking(cast):
    def s(weight):
        return SimpleNamespace(weight=weight, band="possible", probability=0.5, fields=())

    cases = [SimpleNamespace(pk=i) for i in range(7)]
    weights = [20.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0]
    ranked = rank([(c, s(w)) for c, w in zip(cases, weights, strict=True)])
    assert [r.case.pk for r in ranked] == [0, 1, 2, 3, 4, 5]  # 1/20 < 0.1: dropped
    # normalised 1 and 0.1 (five): mean 0.25, and 1 - 0.25 > 0.7
    assert [r.band for r in ranked] == ["likely"] + ["possible"] * 5
    three = rank([(cases[0], s(20.0)), (cases[1], s(4.0)), (cases[2], s(3.0))])
    assert [r.band for r in three] == ["possible"] * 3  # 1 - 0.45 is not above 0.7
    close = rank([(cases[0], s(10.0)), (cases[1], s(9.0))])
    assert [r.band for r in close] == ["possible", "possible"]
    assert rank([(cases[0], s(-2.0))]) == []


def test_a_tracing_pair_is_reviewed_in_the_queue_and_never_merged(cast):
    child = _child(cast.worker, True)
    request = _request(cast.worker)
    find_tracing_matches(cast.relay)
    cand = MatchCandidate.objects.get()
    c = client_for(cast.relay)
    page = text_of(c.get(f"/doublons/{cand.pk}/"))
    assert request.short_id in page and child.short_id in page and "identique" in page
    assert "C'est l'enfant recherché" in page and "Même enfant" not in page
    assert c.post(f"/doublons/{cand.pk}/decision/", {"action": "tracing_match"}).status_code == 302
    assert MatchCandidate.objects.get().status == MatchStatus.SAME
    assert not child.__class__._base_manager.get(pk=child.pk).deleted


def test_a_tracing_pair_set_aside_is_not_proposed_again(cast):
    _child(cast.worker, True)
    _request(cast.worker)
    find_tracing_matches(cast.relay)
    not_the_same(cast.relay, access_candidate(cast.relay, MatchCandidate.objects.get().pk))
    assert find_tracing_matches(cast.relay) == 0


def test_a_tracing_request_the_user_does_not_see_is_not_traced(cast):
    _child(cast.outsider, True, location_current="TG-M-GOL")
    _request(cast.outsider)
    assert find_tracing_matches(cast.relay) == 0
    assert not MatchCandidate.objects.exists()
