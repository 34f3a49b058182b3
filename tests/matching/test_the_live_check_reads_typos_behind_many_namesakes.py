"""A search by names alone stops at the strong keys once they give enough candidates
(``candidates.ENOUGH``); the live duplicate check and tracing do not: they score every
candidate on the other fields too, where a one-letter typo of a common name registered
in the same village, born the same year, may be the child being typed."""

from __future__ import annotations

from yiri.matching import candidates

from ..conftest import make_case


def test_the_live_check_reads_a_typo_behind_many_namesakes(cast, monkeypatch):
    monkeypatch.setattr(candidates, "ENOUGH", 5)
    for _ in range(6):
        make_case(cast.worker, name_first="Aminata", name_last="Ouédraogo")
    typo = make_case(cast.worker, name_first="Aminata", name_last="Ouédrabgo")
    assert typo.pk in candidates.candidate_ids("Aminata", "Ouédraogo")
