"""A child registered by two independent installations (a Burkinabè and a Togolese node,
each its own data folder and database, that never synchronise) under spellings that
differ is found through their exchange files alone: each side exports encodings, the pairs
name the two references, and each side finds its own case behind its own reference — and
only its own."""

from __future__ import annotations

import shutil

import pytest

from tests.sync.nodes import SETUP_NETWORK, Node

CHILDREN = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
worker = User.objects.get(username="worker")
ids = {}
for key, answers in %r:
    base = {"registration_date": "2026-01-15", "location_current": "BF-KAD"}
    ids[key] = str(create_record(worker, "case", {**base, **answers}).pk)
result = ids
"""

# The same boy: Ouédraogo / Wedraogo, Mahamadou / Mahamadu, age estimated one year off,
# the same home place (the Togolese office writes it as the route's origin).
BF_CHILDREN = [
    ("boy", {"name_first": "Mahamadou", "name_last": "Ouédraogo", "sex": "male", "age": 13,
             "family_details": [{"relation": "mother", "relation_name": "Salimata Sawadogo"}]}),
    ("other", {"name_first": "Aminata", "name_last": "Compaoré", "sex": "female", "age": 8}),
    ("third", {"name_first": "Issouf", "name_last": "Traoré", "sex": "male", "age": 15,
               "location_current": "BF-BAL-C01"}),
]
TG_CHILDREN = [
    ("boy", {"name_first": "Mahamadu", "name_last": "WEDRAOGO", "sex": "male", "age": 12,
             "age_estimated": True, "location_current": "TG", "route_origin": "BF-KAD",
             "family_details": [{"relation": "mother", "relation_name": "Salimata Sawadogo"}]}),
    ("other", {"name_first": "Kodjo", "name_last": "Agbeko", "sex": "male", "age": 10,
               "location_current": "TG"}),
    ("third", {"name_first": "Afi", "name_last": "Mensah", "sex": "female", "age": 14,
               "location_current": "TG"}),
]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("pprl")
    bf, tg = Node(root, "burkina", "national", postgres=True), Node(root, "togo", "national")
    for node, children in ((bf, BF_CHILDREN), (tg, TG_CHILDREN)):
        node.install()
        node.script(SETUP_NETWORK)
        node.cases = node.script(CHILDREN % (children,))
    # The Burkinabè side makes the secret and hands a copy over out of band.
    secret = root / "secret-bf-tg.txt"
    bf.manage("matching", "pprl-secret", str(secret))
    tg_secret = root / "copie-togo" / "secret.txt"
    tg_secret.parent.mkdir()
    shutil.copy(secret, tg_secret)
    bf.secret, tg.secret = secret, tg_secret
    yield bf, tg
    for node in (bf, tg):
        node.stop()


def case_number(node, case_id: str) -> str:
    return node.script(f"""
from yiri.cases.models import Case
result = Case.objects.get(pk="{case_id}").short_id
""")


def test_the_same_child_is_matched_and_each_side_finds_its_own_case(network, tmp_path):
    bf, tg = network
    bf_file, tg_file = tmp_path / "bf.json", tmp_path / "tg.json"
    assert "3 dossier(s) encodé(s)" in bf.manage("matching", "pprl-export", str(bf_file),
                                                 "--user", "national", "--secret", str(bf.secret))
    tg.manage("matching", "pprl-export", str(tg_file), "--user", "national", "--secret", str(tg.secret))

    # The Togolese side matches the Burkinabè file against its own file.
    pairs = tmp_path / "paires.csv"
    tg.manage("matching", "pprl-match", str(bf_file), "--ours", str(tg_file),
              "--secret", str(tg.secret), "--out", str(pairs))
    lines = pairs.read_text().splitlines()
    assert lines[0] == "leur_reference;notre_reference;score;niveau"
    assert len(lines) == 2, lines  # the boy, and no one else
    bf_ref, tg_ref, score, level = lines[1].split(";")
    assert float(score) >= 0.8 and level == "probable"

    # Each side finds its own case behind its own reference, from the pairs file.
    tg_found = tg.manage("matching", "pprl-lookup", str(tg_file), "--from", str(pairs),
                         "--user", "national", "--secret", str(tg.secret))
    assert f"{tg_ref} : dossier {case_number(tg, tg.cases['boy'])}" in tg_found
    bf_found = bf.manage("matching", "pprl-lookup", str(bf_file), bf_ref,
                         "--user", "national", "--secret", str(bf.secret))
    assert f"{bf_ref} : dossier {case_number(bf, bf.cases['boy'])}" in bf_found

    # A reference of the other side leads nowhere here.
    assert "aucun dossier" in tg.manage("matching", "pprl-lookup", str(tg_file), bf_ref,
                                        "--user", "national", "--secret", str(tg.secret))


def test_matching_against_our_own_cases_shows_our_number(network, tmp_path):
    bf, tg = network
    bf_file = tmp_path / "bf.json"
    bf.manage("matching", "pprl-export", str(bf_file), "--user", "national", "--secret", str(bf.secret))
    out = tg.manage("matching", "pprl-match", str(bf_file), "--user", "national",
                    "--secret", str(tg.secret))
    lines = out.splitlines()
    assert lines[0] == "leur_reference;notre_dossier;score;niveau"
    assert lines[1].split(";")[1] == case_number(tg, tg.cases["boy"])
    assert lines[-1] == "1 paire(s)."
