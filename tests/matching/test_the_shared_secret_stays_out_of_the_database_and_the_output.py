"""The shared secret: made owner-only by ``pprl-secret``, never overwritten, read from
``--secret`` or ``YIRI_PPRL_SECRET_FILE``, never printed; without it every action says
in French how to get one."""

from __future__ import annotations

import base64
import io
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import make_case
from yiri.matching import pprl


def test_a_new_secret_is_owner_only_and_never_replaced(tmp_path):
    path = tmp_path / "secret.txt"
    out = io.StringIO()
    call_command("matching", "pprl-secret", str(path), stdout=out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    value = path.read_text()
    assert value.split()[1] not in out.getvalue()
    assert "hors de Yiri" in out.getvalue()
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("matching", "pprl-secret", str(path))
    assert path.read_text() == value


def test_without_a_secret_the_message_says_how_to_make_one(cast, tmp_path, monkeypatch):
    monkeypatch.delenv(pprl.SECRET_ENV, raising=False)
    with pytest.raises(CommandError, match="YIRI_PPRL_SECRET_FILE.*pprl-secret"):
        call_command("matching", "pprl-export", str(tmp_path / "e.json"), "--user", "manager")
    bad = tmp_path / "pas-un-secret.txt"
    bad.write_text("bonjour\n")
    with pytest.raises(CommandError, match="n'est pas un secret partagé Yiri"):
        call_command("matching", "pprl-export", str(tmp_path / "e.json"), "--user", "manager",
                     "--secret", str(bad))
    assert not (tmp_path / "e.json").exists()


def test_the_secret_named_by_the_environment_is_used_and_found_nowhere(cast, secret_file, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv(pprl.SECRET_ENV, str(secret_file))
    make_case(cast.worker)
    out, path = io.StringIO(), tmp_path / "e.json"
    call_command("matching", "pprl-export", str(path), "--user", "manager", stdout=out)
    secret = pprl.load_secret()
    forms = [secret_file.read_text().split()[1], base64.b64encode(secret.value).decode()[:40],
             secret.value.hex()]
    assert len(pprl.read_exchange(path, secret).refs) == 1  # (the check can fail: it was used)
    dump = "\n".join(connection.connection.iterdump()) if connection.vendor == "sqlite" else ""
    with connection.cursor() as cur:  # every text column of the audit trail, on any database
        cur.execute("SELECT details FROM audit_auditevent")
        dump += "\n".join(str(r[0]) for r in cur.fetchall())
    for form in forms:
        assert form not in out.getvalue()
        assert form not in path.read_text()
        assert form not in dump
    assert repr(secret) == "SharedSecret(…)"
