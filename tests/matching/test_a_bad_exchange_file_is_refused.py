"""A bad exchange file — truncated, altered after its export, of another format or
version, encoded with other parameters, not JSON at all — is refused by ``pprl-match``
with a French message naming what is wrong, and nothing is written: no pairs file, no
audit event."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_case
from yiri.audit.models import AuditEvent


@pytest.fixture
def files(cast, secret_file, tmp_path):
    make_case(cast.worker, name_first="Awa", name_last="Ouédraogo", age=12)
    make_case(cast.worker, name_first="Mariam", name_last="Sawadogo", age=9)
    ours, theirs = tmp_path / "notre.json", tmp_path / "leur.json"
    for path in (ours, theirs):
        call_command("matching", "pprl-export", str(path), "--user", "manager",
                     "--secret", str(secret_file))
    return ours, theirs


def refused(secret_file, ours, theirs, tmp_path) -> str:
    out = tmp_path / "paires.csv"
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError) as err:
        call_command("matching", "pprl-match", str(theirs), "--ours", str(ours),
                     "--secret", str(secret_file), "--out", str(out))
    assert not out.exists()
    assert AuditEvent.objects.count() == before
    return str(err.value)


def test_a_sound_pair_of_files_is_matched(files, secret_file, tmp_path):
    # The check can fail: the same files, untouched, give their pairs.
    ours, theirs = files
    out = tmp_path / "paires.csv"
    call_command("matching", "pprl-match", str(theirs), "--ours", str(ours),
                 "--secret", str(secret_file), "--out", str(out))
    lines = out.read_text().splitlines()
    assert lines[0] == "leur_reference;notre_reference;score;niveau"
    assert len(lines) == 3  # each child against itself


def test_a_truncated_file_is_refused(files, secret_file, tmp_path):
    ours, theirs = files
    data = theirs.read_bytes()
    theirs.write_bytes(data[: len(data) // 2])
    message = refused(secret_file, ours, theirs, tmp_path)
    assert "leur.json" in message and "tronqué" in message


def test_a_file_altered_after_its_export_is_refused(files, secret_file, tmp_path):
    ours, theirs = files
    doc = json.loads(theirs.read_text())
    ref, bits = doc["records"][0]
    doc["records"][0] = [ref, ("B" if bits[0] != "B" else "C") + bits[1:]]
    theirs.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")))
    assert "modifié après son export" in refused(secret_file, ours, theirs, tmp_path)


def test_a_record_removed_from_the_file_is_refused(files, secret_file, tmp_path):
    ours, theirs = files
    doc = json.loads(theirs.read_text())
    doc["records"].pop()
    theirs.write_text(json.dumps(doc))
    assert "modifié après son export" in refused(secret_file, ours, theirs, tmp_path)


def test_another_version_of_the_format_is_named(files, secret_file, tmp_path):
    ours, theirs = files
    doc = json.loads(theirs.read_text())
    doc["version"] = 2
    theirs.write_text(json.dumps(doc))
    message = refused(secret_file, ours, theirs, tmp_path)
    assert "version 2" in message and "version 1" in message


def test_other_parameters_are_named(files, secret_file, tmp_path):
    ours, theirs = files
    doc = json.loads(theirs.read_text())
    doc["parameters"]["k"]["name"] = 30
    theirs.write_text(json.dumps(doc))
    message = refused(secret_file, ours, theirs, tmp_path)
    assert "autres paramètres" in message and "k.name (12 ici, 30 dans le fichier)" in message


def test_a_file_that_is_not_an_exchange_file_is_refused(files, secret_file, tmp_path):
    ours, theirs = files
    theirs.write_text(json.dumps({"format": "autre", "records": []}))
    assert "n'est pas un fichier d'échange Yiri" in refused(secret_file, ours, theirs, tmp_path)
    theirs.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "n'est pas un fichier d'échange complet" in refused(secret_file, ours, theirs, tmp_path)


def test_a_missing_field_is_named(files, secret_file, tmp_path):
    ours, theirs = files
    doc = json.loads(theirs.read_text())
    del doc["check"]
    theirs.write_text(json.dumps(doc))
    assert "champ(s) manquant(s) check" in refused(secret_file, ours, theirs, tmp_path)


def test_the_same_file_given_twice_is_refused(files, secret_file, tmp_path):
    ours, _theirs = files
    assert "le même échange" in refused(secret_file, ours, ours, tmp_path)
