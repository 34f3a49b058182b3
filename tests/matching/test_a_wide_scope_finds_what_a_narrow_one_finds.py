"""A name search reads a narrow scope (a worker's, a team's cases) record by record and
meets a wide one (a relay cell's, the country's) from the token index, after looking up
its newest records first (``candidates.NARROW``, ``WALK``: chosen for speed at 1,000,000
cases). The way changes nothing to what is found nor to its order."""

from __future__ import annotations

import pytest

from yiri.cases.search import search_cases
from yiri.matching import candidates

from ..conftest import make_case

NAMES = [
    ("Idrissa", "Ouédraogo"), ("Idrissa", "Ouédratgo"), ("Idrisa", "Wedraogo"),
    ("Awa", "Ouédraogo"), ("Awa", ""), ("Ouédraogo", ""), ("Salif", "Zongo"),
    ("Salif Idrissa", "Zongo"), ("Aminata", "Diallo"), ("Amina", "Diallo"),
    ("Fatoumata", "Sawadogo"), ("Fatimata", "Sawadogo"), ("Kodjo", "Kodjo"),
    ("Koffi", "Agbodjan"), ("Kofi", "Agbojan"), ("Mahamadou", "Kaboré"), ("Madou", "Kabore"),
]
QUERIES = ["Idrissa Ouédraogo", "ouedraogo", "awa", "oued", "Salif Zongo",
           "Idrissa Salif Zongo", "aminata diallo", "fatimata", "Kodjo Kodjo",
           "koffi agbodjan", "Madou Kaboré", "Zongo", "sawa", "Wedraogo Awa"]


@pytest.fixture
def registered(cast):
    places = ["BF-KAD-C01-V01", "BF-KAD-C01-V02", "BF-KAD-C02-V01", "BF-KAD", "BF-KAD-C01"]
    for i, (first, last) in enumerate(NAMES):
        make_case(cast.worker, name_first=first, name_last=last, age=(3, 7, 8, 12, 15, 9)[i % 6],
                  location_current=places[i % len(places)])
    return cast


@pytest.mark.parametrize("decrypt_limit", [400, 3])
def test_a_wide_scope_finds_the_same_records_in_the_same_order(registered, monkeypatch,
                                                                 decrypt_limit):
    monkeypatch.setattr(candidates, "DECRYPT_LIMIT", decrypt_limit)
    user = registered.coordinator
    narrow = {q: list(search_cases(user, q=q)) for q in QUERIES}
    assert any(narrow.values())
    # The scope read record by record in the database, rather than whole by the walk.
    monkeypatch.setattr(candidates, "WALK", 2)
    for materialise in (0, 5000):  # the records met joined as subqueries, or as ids
        monkeypatch.setattr(candidates, "MATERIALISE", materialise)
        for q in QUERIES:
            assert list(search_cases(user, q=q)) == narrow[q], (q, materialise)
    monkeypatch.setattr(candidates, "NARROW", 0)
    for walk in (2, 1000):  # the newest records hold too few, or all of them
        monkeypatch.setattr(candidates, "WALK", walk)
        for materialise in (0, 5000):  # the records met joined as a subquery, or as ids
            monkeypatch.setattr(candidates, "MATERIALISE", materialise)
            for q in QUERIES:
                assert list(search_cases(user, q=q)) == narrow[q], (q, walk, materialise)


@pytest.mark.parametrize("decrypt_limit", [400, 3])
def test_a_small_scope_read_whole_ranks_places_and_ages_as_the_database_does(
        registered, monkeypatch, decrypt_limit):
    monkeypatch.setattr(candidates, "DECRYPT_LIMIT", decrypt_limit)
    user = registered.coordinator
    hints = [{}, {"age_min": 5, "age_max": 9}, {"location": "BF-KAD-C01-V02"},
             {"age_min": 12, "location": "BF-KAD-C01"}, {"sex": "female"}]
    whole = {(q, i): list(search_cases(user, q=q, **dict(h))) for q in QUERIES
             for i, h in enumerate(hints)}
    monkeypatch.setattr(candidates, "WALK", 2)  # read in the database instead
    for materialise in (0, 5000):
        monkeypatch.setattr(candidates, "MATERIALISE", materialise)
        for (q, i), found in whole.items():
            assert list(search_cases(user, q=q, **dict(hints[i]))) == found, (q, hints[i])


def test_a_wide_scope_keeps_the_scope(registered, monkeypatch):
    make_case(registered.colleague, name_first="Idrissa", name_last="Ouédraogo")
    monkeypatch.setattr(candidates, "NARROW", 0)
    monkeypatch.setattr(candidates, "WALK", 2)
    found = list(search_cases(registered.worker, q="Idrissa Ouédraogo"))
    assert found and all(c.owner_id == registered.worker.pk for c in found)
