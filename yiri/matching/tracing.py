"""Tracing matches: a family looking for a child (a tracing request, its children sought
in the ``traces`` subform) against the children registered whose consent allows tracing
(the case's ``consent_tracing`` answer), ranked as CPIMS+ ranks them.

For each child sought (a ``traces`` row with a name): candidates by name
(``candidates.candidate_ids``, every case of this node), kept only when their consent to
tracing is "yes", scored by the one scorer (``scoring.score_pairs``, the child sought read
as a ``Person``: names, sex, age or date of birth, nationality ignored, last place seen).
Then the CPIMS+ ranking (docs: shared reference, "Matching"): the best 20, each score
normalised by the best one, below 0.1 dropped; "likely" when a match is alone or more than
0.7 above the mean of the normalised scores, else "possible" (and "unlikely" by the scorer
stays out). Each pair goes to the review queue (``review.propose``, source "tracing"),
reviewed like duplicates; a pair set aside ("pas le même enfant") is never proposed again.

Only the tracing requests and cases the user sees are used: a data manager traces within
the scope of their role.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiri.cases import identity
from yiri.cases.models import Case, TracingRequest
from yiri.formconfig.schema import get_schema

from .models import MatchBand, MatchSource
from .review import not_same_keys, pair_key, propose

TOP = 20
FLOOR = 0.1
LIKELY_ABOVE_MEAN = 0.7
CANDIDATES = 50

# A ``traces`` row's field -> the case answer it is compared with.
SOUGHT = {"sought_name_first": "name_first", "sought_name_last": "name_last",
          "sought_name_nickname": "name_nickname", "sought_sex": "sex", "sought_age": "age",
          "sought_date_of_birth": "date_of_birth", "last_seen_location": "location_current"}


@dataclass
class Ranked:
    case: Case
    score: object  # scoring.PairScore
    normalised: float
    band: str


def rank(scored: list[tuple[Case, object]]) -> list[Ranked]:
    """The CPIMS+ ranking of ``(case, PairScore)`` pairs (see the module docstring). The
    normalised score is the pair's weight over the best weight, on the positive part of
    the weights (a negative weight is evidence against, scored 0)."""
    kept = [(c, s) for c, s in scored if s.band != MatchBand.UNLIKELY]
    kept.sort(key=lambda cs: (-cs[1].weight, str(cs[0].pk)))
    kept = kept[:TOP]
    if not kept:
        return []
    best = max(kept[0][1].weight, 0.0)
    if best <= 0:
        return []
    norm = [(c, s, max(s.weight, 0.0) / best) for c, s in kept]
    norm = [(c, s, n) for c, s, n in norm if n >= FLOOR]
    if not norm:
        return []
    mean = sum(n for _c, _s, n in norm) / len(norm)
    alone = len(norm) == 1
    return [Ranked(c, s, n, MatchBand.LIKELY if alone or n - mean > LIKELY_ABOVE_MEAN
                   else MatchBand.POSSIBLE) for c, s, n in norm]


def sought_answers(row: dict) -> dict:
    return {case_code: row[code] for code, case_code in SOUGHT.items() if row.get(code)}


def matches_for_row(tracing: TracingRequest, row: dict, cases_seen=None) -> list[Ranked]:
    """The ranked cases that may be the child sought in ``row`` of ``tracing``."""
    from .candidates import candidate_ids
    from .person import person_from_answers, person_from_record
    from .scoring import score_pairs

    answers = sought_answers(row)
    given, family = answers.get("name_first", ""), answers.get("name_last", "")
    if not (given or family):
        return []
    ids = candidate_ids(str(given), str(family), other=str(answers.get("name_nickname") or ""),
                        limit=CANDIDATES)
    qs = Case.objects.alive().filter(pk__in=ids)
    if cases_seen is not None:
        qs = qs.filter(pk__in=cases_seen)
    schema = get_schema("case")
    # Consent to tracing has no column: the answer is read from each candidate.
    cases = [c for c in qs.select_related("owning_agency")
             if identity.read_answers(c, schema).get("consent_tracing") is True]
    if not cases:
        return []
    gone = not_same_keys(pair_key(tracing.pk, c.pk, row["_id"]) for c in cases)
    cases = [c for c in cases if pair_key(tracing.pk, c.pk, row["_id"]) not in gone]
    if not cases:
        return []
    sought = person_from_answers(f"{tracing.pk}:{row['_id']}", answers,
                                 registered=None)
    scores = score_pairs(sought, [person_from_record(c, schema) for c in cases])
    return rank(list(zip(cases, scores, strict=True)))


def find_tracing_matches(user, tracing_requests=None) -> int:
    """Propose the tracing matches of the tracing requests ``user`` sees (or of those
    given) for review. Returns how many pairs were proposed or already waiting."""
    schema = get_schema("tracing_request")
    requests = tracing_requests if tracing_requests is not None else \
        TracingRequest.objects.visible_to(user)
    seen = Case.objects.visible_to(user).values("pk")
    n = 0
    for tracing in requests:
        answers = identity.read_answers(tracing, schema)
        for row in answers.get("traces") or []:
            if row.get("_deleted"):
                continue
            for ranked in matches_for_row(tracing, row, seen):
                score = _Banded(ranked.score, ranked.band, ranked.normalised)
                if propose(tracing, ranked.case, score, source=MatchSource.TRACING, user=user,
                           trace_row=row["_id"]) is not None:
                    n += 1
    return n


class _Banded:
    """A ``PairScore`` with the CPIMS+ band and the normalised score as its probability."""

    def __init__(self, score, band: str, normalised: float) -> None:
        self.weight = score.weight
        self.fields = score.fields
        self.band = band
        self.probability = normalised
