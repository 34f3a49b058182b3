"""``manage.py backup verify FILE`` restores the backup into a scratch database and
compares its record counts and digest with the manifest; the result is recorded."""

from __future__ import annotations

from tests.backup.conftest import header_of, run


def test_a_sound_backup_is_verified_ok_and_the_verification_is_recorded(office, backup_file):
    out = office.manage("backup", "verify", str(backup_file))
    assert "Sauvegarde vérifiée : OK" in out
    backup_id = header_of(backup_file)["backup_id"]
    report = office.script(f"""
from yiri.backup.models import BackupReport
r = BackupReport.objects.get(backup_id="{backup_id}")
result = [r.node_id, r.ok, r.verified_at is not None, r.size]
""")
    assert report == [office.node_id, True, True, backup_file.stat().st_size]


def test_the_manifest_holds_counts_digest_clock_and_checksums_and_the_header_no_names(
        office, made_backup):
    path, digest = made_backup
    header = header_of(path)
    manifest = header["manifest"]
    # The digest of a backup is over the stored ciphertexts (it stays checkable after a
    # record's key is forgotten, and by a relay that holds no key of the office's): the
    # same rows as the sync digest.
    facts = office.sealed_facts
    assert manifest["digest"] == facts["digest"] != digest.split()[0]
    assert manifest["rows"] == facts["rows"] == int(digest.split()[1])
    assert manifest["counts"]["cases_case"] > 30
    assert manifest["clock"]["counter"] > 0 and manifest["clock"]["seq"] > 0
    assert header["node_id"] == office.node_id
    assert header["vendor"] == ("postgresql" if office.pg_db else "sqlite")
    assert [r["role"] for r in header["recipients"]] == ["self"]
    assert header["recipients"][0]["box_key"] == office.box_key


def test_a_backup_verify_of_a_missing_file_says_so(office, tmp_path):
    done = run(office, "backup", "verify", str(tmp_path / "absent.ybk"))
    assert done.returncode == 1
    assert "Fichier de sauvegarde introuvable" in done.stderr
