"""When a common name gives more candidates than can be decrypted (``DECRYPT_LIMIT``),
the records met by a one-letter typo of the typed words are compared before those met
only by a beginning or by a typo in the sound key, which many unrelated names share
(at 20,000 records, "Idrissa Ouédratgo" was left out behind 1,800 such candidates when
"Idrissa Ouédraogo" was searched)."""

from __future__ import annotations

from yiri.cases.search import search_cases
from yiri.lib import names
from yiri.matching import candidates

from ..conftest import make_case


def test_the_sound_key_deletion_candidate_is_weaker_than_the_letter_typo(db):  # the variants table
    # The premise of the test: "Adara" meets "Ouédraogo" only by a sound-key deletion.
    assert names.sound_key("adara") in names.deletion_keys(names.sound_key("ouedraogo"))
    assert candidates.word_similarity("ouedraogo", "adara") == 0


def test_a_one_letter_typo_is_found_behind_many_weaker_candidates(cast, monkeypatch):
    monkeypatch.setattr(candidates, "DECRYPT_LIMIT", 3)
    typo = make_case(cast.worker, name_first="Idrissa", name_last="Ouédratgo")
    for _ in range(4):  # newer, so they came first among the weaker candidates
        make_case(cast.worker, name_first="Idrissa", name_last="Adara")
    exact = make_case(cast.worker, name_first="Idrissa", name_last="Ouédraogo")
    found = list(search_cases(cast.worker, q="Idrissa Ouédraogo"))
    assert found == [exact, typo]
