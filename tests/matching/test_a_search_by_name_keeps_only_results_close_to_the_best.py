"""A name search stops at the results close to the best: no long tail of weak matches."""

from __future__ import annotations

from yiri.cases.search import search_cases
from yiri.matching import candidates

from ..conftest import make_case


def found(user, **query) -> list:
    return list(search_cases(user, **query))


def test_a_weak_match_is_left_out_when_a_far_better_one_is_there(cast):
    exact = make_case(cast.worker, name_first="Fatimata", name_last="Sawadogo")
    typo = make_case(cast.worker, name_first="Fatimata", name_last="Sawadoko")
    beginning = make_case(cast.worker, name_first="Fatimatou", name_last="Sawadogo")
    make_case(cast.worker, name_first="Fotomoto", name_last="Sowodugu")  # same sounds only: left out
    got = found(cast.worker, q="Fatimata Sawadogo")
    assert got[0] == exact and set(got[1:]) == {typo, beginning}  # the weak one left out


def test_the_same_weak_match_is_shown_when_nothing_better_is_there(cast):
    weak = make_case(cast.worker, name_first="Fotomoto", name_last="Sowodugu")
    assert found(cast.worker, q="Fatimata Sawadogo") == [weak]


def test_a_blank_family_name_counts_as_unknown_not_as_different(cast):
    alone = make_case(cast.worker, name_first="Rasmata", name_last="")
    full = make_case(cast.worker, name_first="Rasmata", name_last="Nikiéma")
    assert found(cast.worker, q="Rasmata Nikiema") == [full, alone]


def test_the_duplicate_check_gets_every_candidate_without_the_cut(cast):
    exact = make_case(cast.worker, name_first="Fatimata", name_last="Sawadogo")
    weak = make_case(cast.worker, name_first="Fotomoto", name_last="Sowodugu")
    ids = candidates.candidate_ids("Fatimata", "Sawadogo")
    assert ids[0] == exact.pk and weak.pk in ids
