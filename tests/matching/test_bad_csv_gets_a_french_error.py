"""A labelled CSV the evaluation cannot read gets a clear French message naming the
problem (and the line), never a traceback."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

HEADER = "record_id,cluster_id,given,family,birth_date\n"


@pytest.mark.parametrize(("content", "message"), [
    ("", "Le fichier est vide."),
    ("record_id,given\n1,Awa\n", "Colonnes obligatoires absentes : cluster_id, family"),
    (HEADER, "Le fichier n'a aucune ligne de données."),
    (HEADER + "1,a,Awa,Kaboré,2014-02-30\n", "Ligne 2 : date de naissance illisible « 2014-02-30 »"),
    (HEADER + "1,a,Awa,Kaboré,\n1,b,Ali,Sanou,\n", "Ligne 3 : record_id « 1 » déjà utilisé"),
    (HEADER + "1,,Awa,Kaboré,\n", "Ligne 2 : cluster_id vide."),
    (HEADER + "1,a,Awa,Kaboré,,x\n", "Ligne 2 : plus de valeurs que de colonnes."),
])
def test_a_malformed_file_is_refused_with_its_reason(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("matching", "evaluate", str(path))
    assert message in str(refused.value)


def test_a_file_not_in_utf8_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "1,a,Aïcha,Koné,\n").encode("latin-1"))
    with pytest.raises(CommandError, match="n'est pas en UTF-8"):
        call_command("matching", "evaluate", str(path))


def test_a_missing_file_or_two_sources_are_refused(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable : absent.csv"):
        call_command("matching", "evaluate", str(tmp_path / "absent.csv"))
    with pytest.raises(CommandError, match="un seul"):
        call_command("matching", "evaluate", str(tmp_path / "x.csv"), "--febrl3")
    with pytest.raises(CommandError, match="entre 0 et 1"):
        path = tmp_path / "ok.csv"
        path.write_text(HEADER + "1,a,Awa,Kaboré,\n", encoding="utf-8")
        call_command("matching", "evaluate", str(path), "--threshold", "1.5")
