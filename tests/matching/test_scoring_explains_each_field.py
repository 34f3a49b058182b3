"""score_pair: a weight, a probability, a band, and for each field a verdict (match,
close, mismatch, blank) with its weight and a French explanation; batch and live agree."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiri.matching.dedupe import find_duplicates
from yiri.matching.generator import generate
from yiri.matching.person import Person, person_from_row
from yiri.matching.scoring import DEFAULT_MODEL, score_pair, score_pairs

AWA = Person(key="1", given="Awa", family="Ouédraogo", sex="female", birth_year=2014,
             birth_date=dt.date(2014, 3, 2), place="BF-BAL-C01-V01",
             mother="Fatimata Sawadogo", father="Salif Ouédraogo")


def verdicts(score):
    return {f.field: f for f in score.fields}


def test_every_field_has_a_verdict_with_a_french_detail():
    score = score_pair(AWA, AWA, DEFAULT_MODEL)
    fields = verdicts(score)
    assert set(fields) == {"given", "family", "sex", "birth", "place", "mother", "father"}
    assert all(f.level == "match" for f in fields.values())
    assert fields["given"].detail == "Prénom : identique"
    assert fields["birth"].detail == "Naissance : même date de naissance"
    assert score.band == "likely" and score.probability > 0.99
    assert score.weight == pytest.approx(sum(f.weight for f in score.fields), abs=0.05)


def test_spelling_variants_are_close_not_mismatched():
    other = Person(key="2", given="AWA", family="Wedraogo", sex="female", birth_year=2014,
                   place="BF-BAL-C01-V02", mother="Fatoumata Savadogo")
    fields = verdicts(score_pair(AWA, other, DEFAULT_MODEL))
    assert fields["given"].level == "match"  # capitals and accents do not count
    assert fields["family"].level == "close"
    assert fields["family"].detail == "Nom : même prononciation ou forme courte"
    assert fields["place"].detail == "Lieu : même commune"
    assert fields["mother"].level == "close"
    assert fields["father"].level == "blank" and fields["father"].weight == 0
    assert fields["father"].detail == "Père : non renseigné"


def test_given_and_family_names_swapped_are_compared_crosswise():
    swapped = Person(key="2", given="Ouedraogo", family="Awa", sex="female", birth_year=2014)
    fields = verdicts(score_pair(AWA, swapped, DEFAULT_MODEL))
    assert fields["given"].level == "match" and fields["family"].level == "match"


def test_an_estimated_age_two_years_off_is_close_but_not_a_known_date():
    est = Person(key="2", given="Awa", family="Ouédraogo", birth_year=2012, age_estimated=True)
    known = Person(key="3", given="Awa", family="Ouédraogo", birth_year=2012,
                   birth_date=dt.date(2012, 1, 1))
    assert verdicts(score_pair(AWA, est, DEFAULT_MODEL))["birth"].level == "close"
    assert verdicts(score_pair(AWA, known, DEFAULT_MODEL))["birth"].level == "mismatch"


def test_a_different_child_is_unlikely():
    other = Person(key="2", given="Kodjo", family="Mensah", sex="male", birth_year=2008,
                   place="TG-M-GOL-C01-V01", mother="Abla Amavi")
    score = score_pair(AWA, other, DEFAULT_MODEL)
    assert score.band == "unlikely"
    assert {f.level for f in score.fields} <= {"mismatch", "blank"}


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12), st.sampled_from(["male", "female", ""]),
       st.one_of(st.none(), st.integers(1990, 2026)))
def test_the_score_is_symmetric_and_a_probability(given_name, family, sex, year):
    other = Person(key="2", given=given_name, family=family, sex=sex, birth_year=year)
    ab, ba = score_pair(AWA, other, DEFAULT_MODEL), score_pair(other, AWA, DEFAULT_MODEL)
    assert ab.weight == pytest.approx(ba.weight, abs=1e-6)
    assert 0.0 <= ab.probability <= 1.0
    assert len(ab.fields) == 7


def test_the_batch_and_the_live_check_give_a_pair_the_same_score():
    rows = generate(600, seed=5)
    people = [person_from_row(r) for r in rows]
    result = find_duplicates(people)
    assert len(result.ia) > 0
    sample = np.linspace(0, len(result.ia) - 1, 25).astype(int)
    for k in sample:
        a, b = people[result.ia[k]], people[result.ib[k]]
        batch = result.pair_score(int(k))
        live = score_pair(a, b, result.model)
        assert live.weight == pytest.approx(batch.weight, abs=1e-3)
        assert live.probability == pytest.approx(batch.probability, abs=1e-6)
        assert [(f.field, f.level) for f in live.fields] == [(f.field, f.level) for f in batch.fields]
    # several candidates at once, as the live check asks
    many = score_pairs(people[0], people[1:6], result.model)
    assert [s.weight for s in many] == [score_pair(people[0], p, result.model).weight
                                        for p in people[1:6]]
