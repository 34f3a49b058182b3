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
    for first, last in NAMES:
        make_case(cast.worker, name_first=first, name_last=last)
    return cast


@pytest.mark.parametrize("decrypt_limit", [400, 3])
def test_a_wide_scope_finds_the_same_records_in_the_same_order(registered, monkeypatch,
                                                                 decrypt_limit):
    monkeypatch.setattr(candidates, "DECRYPT_LIMIT", decrypt_limit)
    user = registered.coordinator
    narrow = {q: list(search_cases(user, q=q)) for q in QUERIES}
    assert any(narrow.values())
    monkeypatch.setattr(candidates, "NARROW", 0)
    for walk in (2, 1000):  # the newest records hold too few, or all of them
        monkeypatch.setattr(candidates, "WALK", walk)
        for q in QUERIES:
            assert list(search_cases(user, q=q)) == narrow[q], (q, walk)


def test_a_wide_scope_keeps_the_scope(registered, monkeypatch):
    make_case(registered.colleague, name_first="Idrissa", name_last="Ouédraogo")
    monkeypatch.setattr(candidates, "NARROW", 0)
    monkeypatch.setattr(candidates, "WALK", 2)
    found = list(search_cases(registered.worker, q="Idrissa Ouédraogo"))
    assert found and all(c.owner_id == registered.worker.pk for c in found)
