""""Pas le même enfant" is remembered: the pair is never proposed again, in either order,
by the batch, the live check or tracing; a live check of an edit does not show it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from yiri.cases.services import create_record
from yiri.matching.check import live_check
from yiri.matching.models import MatchCandidate, NotSamePair, pair_key
from yiri.matching.person import person_from_record
from yiri.matching.review import access_candidate, not_the_same, propose, queue
from yiri.matching.scoring import score_pair

from ..conftest import child_answers


def _pair(cast):
    a = create_record(cast.worker, "case", child_answers(name_first="Adama", name_last="Traoré"))
    b = create_record(cast.colleague, "case", child_answers(name_first="Adama", name_last="Traore"))
    return a, b, score_pair(person_from_record(a), person_from_record(b))


@given(st.lists(st.uuids(), min_size=2, max_size=2, unique=True), st.text(max_size=8))
@settings(max_examples=50)
def test_a_pair_key_does_not_depend_on_the_order(ids, row):
    a, b = ids
    assert pair_key(a, b, row) == pair_key(b, a, row)
    assert pair_key(a, b, row) != pair_key(a, a, row)


def test_a_pair_set_aside_is_never_proposed_again_in_either_order(cast):
    a, b, score = _pair(cast)
    cand = propose(a, b, score, source="batch")
    not_the_same(cast.relay, access_candidate(cast.relay, cand.pk))
    assert propose(a, b, score, source="batch") is None
    assert propose(b, a, score, source="live") is None
    assert MatchCandidate.objects.count() == 1
    assert queue(cast.relay) == []


def test_a_concurrent_proposal_from_another_node_stays_hidden(cast):
    """A proposal made elsewhere before the decision arrived (its own row) is never
    shown once the decision is here."""
    a, b, score = _pair(cast)
    cand = propose(a, b, score, source="batch")
    not_the_same(cast.relay, access_candidate(cast.relay, cand.pk))
    from django.utils import timezone

    from yiri.sync.log import save_logged

    late = MatchCandidate(record_type="case", record_id=b.pk, other_type="case", other_id=a.pk,
                          pair_key=pair_key(a.pk, b.pk), source="batch", found_at=timezone.now(),
                          probability=0.99)
    save_logged(None, late, created=True)
    assert queue(cast.relay) == []
    assert NotSamePair.objects.count() == 1


def test_the_live_check_of_an_edit_leaves_a_pair_set_aside_out(cast):
    a, b, score = _pair(cast)
    from yiri.cases.identity import read_answers
    from yiri.formconfig.schema import get_schema

    answers = read_answers(a, get_schema("case"))
    assert b.pk in {f.case.pk for f in live_check(cast.admin, answers, exclude=a).findings}
    cand = propose(a, b, score, source="batch")
    not_the_same(cast.relay, access_candidate(cast.relay, cand.pk))
    assert b.pk not in {f.case.pk for f in live_check(cast.admin, answers, exclude=a).findings}
