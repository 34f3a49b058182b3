"""``candidate_ids``: the cases whose names match, over every case (the caller scopes)."""

from __future__ import annotations

from yiri.matching.candidates import candidate_ids

from ..conftest import make_case


def test_a_child_registered_elsewhere_under_another_spelling_is_a_candidate(cast):
    theirs = make_case(cast.colleague, name_first="Mahamadou", name_last="Ouédraogo")
    make_case(cast.worker, name_first="Issa", name_last="Diallo")
    assert candidate_ids("Madou", "Wedraogo") == [theirs.pk]
    assert candidate_ids("Ouedraogo", "Mamadou") == [theirs.pk]  # swapped order
    assert candidate_ids("Mahamadou", "Ouedrago") == [theirs.pk]  # a letter dropped


def test_other_names_are_not_candidates(cast):
    make_case(cast.colleague, name_first="Mahamadou", name_last="Ouédraogo")
    assert candidate_ids("Issa", "Ouédraogo") == []
    assert candidate_ids("Fatimata", "Sawadogo") == []


def test_the_closest_names_come_first_and_the_limit_holds(cast):
    near = make_case(cast.worker, name_first="Fatoumata", name_last="Sawadogo")
    exact = make_case(cast.colleague, name_first="Fatimata", name_last="Sawadogo")
    typo = make_case(cast.outsider, name_first="Fatimata", name_last="Sawadoko")
    assert candidate_ids("Fatimata", "Sawadogo") == [exact.pk, near.pk, typo.pk]
    assert candidate_ids("Fatimata", "Sawadogo", limit=1) == [exact.pk]
