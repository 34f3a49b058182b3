"""``manage.py keys rotate`` moves every record key under a new master key, with its
progress in French, and can be interrupted and run again; ``keys status`` shows the ids."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from yiri.cases import identity, keys
from yiri.cases.models import Case
from yiri.cases.notes import add_note
from yiri.formconfig.schema import get_schema

from ..conftest import make_case


@pytest.fixture
def own_keys(settings, tmp_path):
    """A key store of this test's own (rotation touches every key of the store)."""
    settings.YIRI_KEYS_DIR = tmp_path / "keys"
    keys._CACHES.clear()
    yield settings.YIRI_KEYS_DIR
    keys._CACHES.clear()


def run(*args) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def live() -> int:
    return sum(m["live"] for m in keys.status()["masters"])


def readable(cases) -> list[str]:
    keys._CACHES.clear()  # unwrapped again from the store
    schema = get_schema("case")
    return [identity.read_answers(Case.objects.get(pk=c.pk), schema)["name_first"] for c in cases]


def test_a_rotation_rewraps_every_record_key_under_a_new_master_key(own_keys, cast):
    cases = [make_case(cast.worker, name_first=f"Enfant{i}") for i in range(5)]
    add_note(cast.worker, cases[0], body="Texte scellé")
    old = keys.masters().current
    n = live()  # the five cases' keys and this node's own (users' sealed values)
    assert n >= 5
    status = run("status")
    assert f"{old} (courante) : {n} clé(s) de dossier" in status

    out = run("rotate", "--batch", "2")
    new = keys.masters().current
    assert new != old
    assert f"Nouvelle clé maîtresse {new}" in out and f"{n} clé(s) de dossier à réemballer" in out
    assert f"{n}/{n} (100 %)" in out and "Rotation terminée" in out
    assert list(json.loads(keys.master_path().read_text())["keys"]) == [new]  # old one gone
    assert readable(cases) == [f"Enfant{i}" for i in range(5)]
    assert keys.status()["masters"] == [{"id": new, "present": True, "live": n, "forgotten": 0}]


def test_an_interrupted_rotation_is_finished_by_the_next_run(own_keys, cast):
    cases = [make_case(cast.worker, name_first=f"Enfant{i}") for i in range(5)]
    old = keys.masters().current
    n = live()
    steps = keys.rotate(batch=2)
    assert next(steps) == (0, n)
    assert next(steps) == (2, n)
    steps.close()  # the process stopped here
    new = keys.masters().current
    both = {m["id"]: m["live"] for m in keys.status()["masters"]}
    assert both == {new: 2, old: n - 2}
    assert readable(cases) == [f"Enfant{i}" for i in range(5)]  # both keys still work
    assert f"{old} : {n - 2} clé(s)" in run("status")

    out = run("rotate")
    assert f"Reprise de la rotation interrompue vers la clé {new}" in out
    assert keys.masters().current == new and set(keys.masters().keys) == {new}
    assert readable(cases) == [f"Enfant{i}" for i in range(5)]


def test_a_record_key_written_under_an_old_master_id_is_unreadable_without_it(own_keys, cast):
    case = make_case(cast.worker, name_first="Awa")
    m = keys.masters()
    m.keys.pop(m.current)
    m.keys["mautre"] = b"\0" * keys.KEY_BYTES
    m.save()
    keys._CACHES.clear()
    with pytest.raises(identity.Unreadable, match="clé maîtresse"):
        identity.read_identity(Case.objects.get(pk=case.pk))
