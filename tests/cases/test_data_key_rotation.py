"""``manage.py keys rotate --data`` gives every record a new data key and re-encrypts every
value sealed at rest under it (``cases.reencrypt``), with its progress; the values read the
same, a backup made before stays readable unless ``--destroy-old``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from yiri.attachments import storage
from yiri.attachments.services import add_attachment
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases import identity, keys, reencrypt
from yiri.cases.models import Case, Flag, Note, sealed_text
from yiri.cases.notes import add_flag, add_note
from yiri.cases.sealed import SealedTextField
from yiri.formconfig.schema import get_schema
from yiri.sync.models import Operation
from yiri.workflow.models import Approval
from yiri.workflow.services import request_approval

from ..attachments.files import PDF, upload
from ..conftest import make_case
from .test_encryption_at_rest import raw_get

SECRET = "Grand-mère Salimata Ouattara, secteur 22"


@pytest.fixture
def own_keys(settings, tmp_path):
    """A key store of this test's own (a rotation touches every key of the store)."""
    settings.YIRI_KEYS_DIR = tmp_path / "keys"
    keys._CACHES.clear()
    yield settings.YIRI_KEYS_DIR
    keys._CACHES.clear()


def run(*args) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def kid(blob) -> bytes:
    found = reencrypt.key_id_of(blob)
    assert found is not None, "not sealed"
    return found


@pytest.fixture
def filled(own_keys, cast):
    """A case with something in every kind of sealed storage."""
    case = make_case(cast.worker, name_first="Salimata", address_current=SECRET)
    other = make_case(cast.worker, name_first="Awa")
    return {
        "case": case, "other": other,
        "note": add_note(cast.worker, case, body=SECRET),
        "flag": add_flag(cast.worker, case, reason=SECRET),
        "approval": request_approval(cast.worker, case, "assessment", comment=SECRET),
        "attachment": add_attachment(cast.worker, case, "supporting_documents",
                                     upload("acte.pdf", PDF)),
    }


def stored_key_ids(f) -> dict[str, bytes]:
    case = f["case"]
    op = Operation.objects.filter(record_id=case.pk).exclude(sealed_changes="").first()
    return {
        "identity": kid(raw_get("cases_case", "identity_blob", case.pk)),
        "note": kid(raw_get("cases_note", "body_blob", f["note"].pk)),
        "flag": kid(raw_get("cases_flag", "reason_blob", f["flag"].pk)),
        "approval": kid(raw_get("workflow_approval", "comment", f["approval"].pk)),
        "attachment name": kid(raw_get("attachments_attachment", "name_blob", f["attachment"].pk)),
        "attachment file": kid(storage.path_of(f["attachment"].pk).read_bytes()),
        "change log": kid(op.sealed_changes),
    }


def test_every_sealed_value_is_re_encrypted_under_its_record_s_new_key_and_reads_the_same(filled):
    before = stored_key_ids(filled)
    assert len(set(before.values())) == 1  # all under the case's one key

    out = run("rotate", "--data", "--batch", "2")

    after = stored_key_ids(filled)
    assert set(after.values()) == {keys.key_for(filled["case"].pk)[0]}
    assert not set(after.values()) & set(before.values())
    assert "Rotation terminée" in out and "(100 %)" in out
    keys._CACHES.clear()
    case = Case.objects.get(pk=filled["case"].pk)
    answers = identity.read_answers(case, get_schema("case"))
    assert (answers["name_first"], answers["address_current"]) == ("Salimata", SECRET)
    assert Note.objects.get(pk=filled["note"].pk).body == SECRET
    assert Flag.objects.get(pk=filled["flag"].pk).reason == SECRET
    assert Approval.objects.get(pk=filled["approval"].pk).comment == SECRET
    assert storage.read(filled["attachment"].pk) == PDF
    assert reencrypt.stale_count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.KEY_ROTATION).exists()


def test_the_old_keys_stay_for_older_backups_unless_destroyed(filled):
    old = stored_key_ids(filled)["identity"]
    old_blob = raw_get("cases_case", "identity_blob", filled["case"].pk)
    run("rotate", "--data")
    where = identity.record_binding(filled["case"])
    # A backup taken before the rotation holds the old ciphertext: still readable.
    assert identity.CODEC.decode(old_blob, where)["fields"]["name_first"] == "Salimata"
    assert "ancienne(s) clé(s) de dossier gardée(s)" in run("status")

    out = run("rotate", "--data", "--destroy-old")
    assert "ancienne(s) clé(s) détruite(s)" in out
    keys._CACHES.clear()
    with pytest.raises(keys.RecordKeyForgotten):
        keys.key_by_id(old)
    # The live data is untouched by destroying the old keys.
    assert identity.display_name(Case.objects.get(pk=filled["case"].pk)).startswith("Salimata")


def test_an_interrupted_rotation_resumes_and_loses_nothing(filled):
    started, resumed = keys.begin_data_rotation()
    assert not resumed
    steps = keys.renew_data_keys(started, batch=1)
    next(steps), next(steps)  # one record renewed, then "the power is cut"
    assert reencrypt.stale_count() > 0

    out = run("rotate", "--data")

    assert "Reprise de la rotation" in out
    assert reencrypt.stale_count() == 0 and keys.data_rotation() is None
    assert Note.objects.get(pk=filled["note"].pk).body == SECRET
    assert identity.display_name(Case.objects.get(pk=filled["other"].pk)).startswith("Awa")


def test_a_value_saved_during_the_rotation_is_not_overwritten(filled):
    started, _ = keys.begin_data_rotation()
    list(keys.renew_data_keys(started))
    [item] = [i for s in reencrypt.stores() for _n, items in s.items(100) for i in items
              if i.where.row == filled["note"].pk and i.where.purpose == "body_blob"]
    # A page saves the note between the read and the write-back: the write-back yields.
    from yiri.sync.models import raw_writes

    with raw_writes():
        Note.objects.filter(pk=filled["note"].pk).update(
            body_blob=identity.CODEC.seal_text(sealed_text("Texte changé"), item.where))
    assert item.write(item.blob, "~Yautre") is False
    assert Note.objects.get(pk=filled["note"].pk).body == "Texte changé"


def test_every_sealed_column_of_every_model_is_reached():
    from django.apps import apps

    labels = " ".join(s.label for s in reencrypt.stores())
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, SealedTextField):
                assert f.attname in labels, f"{model.__name__}.{f.attname} is not re-encrypted"


def test_destroy_old_alone_is_refused_with_a_message(own_keys):
    with pytest.raises(CommandError, match="--destroy-old ne s'emploie qu'avec --data"):
        run("rotate", "--destroy-old")


def test_the_rotation_runs_as_a_background_job_whose_progress_reaches_its_total(filled):
    from yiri.jobs.models import Job

    out = run("rotate", "--data")
    job = Job.objects.get(kind="reencrypt")
    assert job.status == Job.Status.DONE and job.done == job.total > 0
    assert f"{job.total}/{job.total} (100 %)" in out
