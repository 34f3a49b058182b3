"""Encodings made under two different secrets do not match, even for the same child
written the same way, and a file made under another secret is refused by name (its check
value differs) before any comparison."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_case
from yiri.matching import pprl

CHILDREN = [
    pprl.Child(given=("Mahamadou",), family=("Ouédraogo",), sex="m", birth_year=2013,
               places=("Kaya", "Sanmatenga"), parents=("Salimata Sawadogo",)),
    pprl.Child(given=("Aminata",), family=("Compaoré",), sex="f", birth_year=2017,
               places=("Boromo", "Balé")),
    pprl.Child(given=("Kodjo",), family=("Agbeko",), sex="m", birth_year=2015,
               places=("Lomé", "Golfe"), parents=("Afi Mensah", "Koffi Agbeko")),
]


@pytest.mark.parametrize("layout", list(pprl.LAYOUTS))
def test_the_same_children_under_two_secrets_find_no_pair(layout):
    params = pprl.LAYOUTS[layout]
    ours = pprl.Encoder(pprl.SharedSecret(b"\x01" * 32), params).encode_many(CHILDREN)
    theirs = pprl.Encoder(pprl.SharedSecret(b"\x02" * 32), params).encode_many(CHILDREN)
    assert pprl.match(theirs, ours, params) == []
    # The check can fail: under one secret each child finds itself, and only itself.
    same = pprl.match(ours, pprl.Encoder(pprl.SharedSecret(b"\x01" * 32), params).encode_many(CHILDREN),
                      params)
    assert sorted((m.theirs, m.ours) for m in same) == [(0, 0), (1, 1), (2, 2)]
    # Scored anyway, every pair under two secrets stays far below the threshold.
    ia, ib = np.repeat(np.arange(3), 3), np.tile(np.arange(3), 3)
    assert pprl.score_pairs(theirs, ours, ia, ib, params).max() < pprl.THRESHOLDS[layout][1]


def test_a_file_made_under_another_secret_is_refused_by_name(cast, secret_file, tmp_path):
    make_case(cast.worker, name_first="Awa", name_last="Ouédraogo")
    other_secret = pprl.generate_secret(tmp_path / "autre-secret.txt")
    ours, theirs = tmp_path / "notre.json", tmp_path / "leur.json"
    call_command("matching", "pprl-export", str(ours), "--user", "manager", "--secret", str(secret_file))
    call_command("matching", "pprl-export", str(theirs), "--user", "manager", "--secret", str(other_secret))
    with pytest.raises(CommandError, match="autre secret partagé que le vôtre"):
        call_command("matching", "pprl-match", str(theirs), "--ours", str(ours),
                     "--secret", str(secret_file))
    # Without our file, against our cases: refused the same way.
    with pytest.raises(CommandError, match="autre secret partagé que le vôtre"):
        call_command("matching", "pprl-match", str(theirs), "--user", "manager",
                     "--secret", str(secret_file))
    # The check can fail: under the secret it was made with, the file is read.
    assert len(pprl.read_exchange(theirs, pprl.load_secret(other_secret)).refs) == 1
