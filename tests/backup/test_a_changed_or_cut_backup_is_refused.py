"""A backup with one byte changed — anywhere: header, sealed key, data — or cut short is
refused by ``backup verify`` and by ``restore``, which then changes nothing."""

from __future__ import annotations

import pytest

from tests.backup.conftest import as_office, run


def flip(path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def places(path) -> dict[str, int]:
    data = path.read_bytes()
    first = data.index(b"\n") + 1
    second = data.index(b"\n", first) + 1
    return {"magic line": 3, "header": first + 20, "sealed key": data.index(b'"sealed":"') + 15,
            "stream header": second + 5, "first length": second + 24 + 2,
            "data": (second + len(data)) // 2, "last byte": len(data) - 1}


@pytest.mark.parametrize("where", ["magic line", "header", "sealed key", "stream header",
                                   "first length", "data", "last byte"])
def test_a_backup_with_one_flipped_byte_is_refused(office, backup_file, where):
    flip(backup_file, places(backup_file)[where])
    done = run(office, "backup", "verify", str(backup_file))
    assert done.returncode == 1
    assert "OK" not in done.stdout
    assert any(word in done.stderr for word in ("modifié", "tronquée", "Format", "pas une "
                                                "sauvegarde", "illisible", "pas chiffrée")), done.stderr


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_truncated_backup_is_refused(office, backup_file, keep):
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[:int(len(data) * keep)])
    done = run(office, "backup", "verify", str(backup_file))
    assert done.returncode == 1
    assert "tronquée" in done.stderr


def test_a_backup_missing_only_its_final_bytes_is_refused(office, backup_file):
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[:-1])
    done = run(office, "backup", "verify", str(backup_file))
    assert done.returncode == 1
    assert "tronquée" in done.stderr


def test_a_backup_with_bytes_added_after_its_end_is_refused(office, backup_file):
    backup_file.write_bytes(backup_file.read_bytes() + b"\0")
    done = run(office, "backup", "verify", str(backup_file))
    assert done.returncode == 1
    assert "suivent sa fin" in done.stderr


def test_restoring_a_changed_backup_is_refused_and_leaves_the_installation_empty(
        office, backup_file, nodes):
    flip(backup_file, places(backup_file)["data"])
    new = as_office(nodes("victim"), office)
    done = run(new, "restore", str(backup_file))
    assert done.returncode == 1
    assert "modifié" in done.stderr
    assert not (new.dir / "attachments").exists() or not any((new.dir / "attachments").rglob("*.file"))
    assert not any(p.name.startswith(".restore-") for p in new.dir.iterdir())
    new.install()
    assert new.script("from yiri.sync.models import Operation\nresult = Operation.objects.count()") == 0
