"""Identifying data is encrypted at rest, bound to its row and purpose, under keys kept
outside the database (``cases.identity``, ``cases.keys``)."""

from __future__ import annotations

import base64
import stat

import pytest
from django.db import connection

from yiri.attachments import storage
from yiri.attachments.services import add_attachment
from yiri.cases import identity, keys
from yiri.cases.models import Case, Flag, Note
from yiri.cases.notes import add_flag, add_note
from yiri.formconfig.schema import get_schema
from yiri.sync.models import Operation
from yiri.workflow.models import Approval
from yiri.workflow.services import request_approval

from ..attachments.files import PDF, upload
from ..conftest import make_case

SECRET = "Tante Kadidiatou Zerbo, quartier Tanghin"


def raw_set(table: str, column: str, pk, value) -> None:
    """Write a column behind the application's back (an attacker with the database)."""
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s",
                    [value, pk.hex if connection.vendor == "sqlite" else pk])


def raw_get(table: str, column: str, pk) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s",
                    [pk.hex if connection.vendor == "sqlite" else pk])
        return cur.fetchone()[0]


def test_every_identifying_value_is_stored_as_a_ciphertext_naming_its_key(cast):
    case = make_case(cast.worker, name_first="Kadidiatou", address_current=SECRET)
    blob = raw_get("cases_case", "identity_blob", case.pk)
    assert "Kadidiatou" not in blob and SECRET not in blob
    raw = base64.urlsafe_b64decode(blob[len(identity.TEXT_PREFIX):])
    assert raw[0] == identity.VERSION
    kid, _key = keys.key_for(case.pk)
    assert raw[1:17] == kid  # the record's own data key
    assert identity.read_answers(Case.objects.get(pk=case.pk), get_schema("case"))[
        "address_current"] == SECRET


def test_an_identity_swapped_between_two_cases_does_not_decrypt(cast):
    a = make_case(cast.worker, name_first="Awa")
    b = make_case(cast.worker, name_first="Bintou")
    raw_set("cases_case", "identity_blob", b.pk, raw_get("cases_case", "identity_blob", a.pk))
    with pytest.raises(identity.Unreadable):
        identity.read_identity(Case.objects.get(pk=b.pk))
    assert identity.read_identity(Case.objects.get(pk=a.pk))["fields"]["name_first"] == "Awa"


def test_a_note_text_moved_to_another_note_or_column_does_not_decrypt(cast):
    case = make_case(cast.worker)
    one = add_note(cast.worker, case, subject="Visite", body=SECRET)
    two = add_note(cast.worker, case, body="Rien à signaler")
    raw_set("cases_note", "body_blob", two.pk, raw_get("cases_note", "body_blob", one.pk))
    with pytest.raises(identity.Unreadable):
        _ = Note.objects.get(pk=two.pk).body
    raw_set("cases_note", "subject_blob", one.pk, raw_get("cases_note", "body_blob", one.pk))
    with pytest.raises(identity.Unreadable):
        _ = Note.objects.get(pk=one.pk).subject
    assert Note.objects.get(pk=one.pk).body == SECRET


def test_sealed_changes_moved_to_another_operation_do_not_decrypt(cast):
    case = make_case(cast.worker, name_first="Awa")
    first = Operation.objects.filter(entity_id=case.pk).earliest("seq")
    add_note(cast.worker, case, body=SECRET)
    second = Operation.objects.filter(entity="note").latest("seq")
    assert identity.changes_of(first)["name_first"][0] == "Awa"
    second.sealed_changes = first.sealed_changes
    with pytest.raises(identity.Unreadable):
        identity.changes_of(second)


def test_an_attached_file_moved_onto_another_attachment_does_not_decrypt(cast):
    case = make_case(cast.worker)
    one = add_attachment(cast.worker, case, "supporting_documents", upload("acte.pdf", PDF))
    two = add_attachment(cast.worker, case, "supporting_documents", upload("autre.pdf", PDF))
    stored = storage.path_of(one.pk).read_bytes()
    assert PDF not in stored and stored[0] == identity.VERSION
    storage.path_of(two.pk).write_bytes(stored)
    with pytest.raises(identity.Unreadable):
        storage.read(two.pk)
    assert storage.read(one.pk) == PDF


def test_workflow_comments_and_reasons_are_encrypted_in_their_columns(cast):
    case = make_case(cast.worker)
    approval = request_approval(cast.worker, case, "assessment", comment=SECRET)
    assert SECRET not in raw_get("workflow_approval", "comment", approval.pk)
    assert identity.is_sealed(raw_get("workflow_approval", "comment", approval.pk))
    assert Approval.objects.get(pk=approval.pk).comment == SECRET


def test_a_forgotten_record_key_erases_every_ciphertext_of_that_record_and_no_other(cast):
    case = make_case(cast.worker, name_first="Kadidiatou", address_current=SECRET)
    other = make_case(cast.worker, name_first="Awa")
    note = add_note(cast.worker, case, body=SECRET)
    flag = add_flag(cast.worker, case, reason=SECRET)
    approval = request_approval(cast.worker, case, "assessment", comment=SECRET)
    att = add_attachment(cast.worker, case, "supporting_documents", upload("acte.pdf", PDF))
    ops = list(Operation.objects.filter(record_id=case.pk).exclude(sealed_changes=""))
    assert ops

    identity.forget_record_key(case.pk)

    fresh = Case.objects.get(pk=case.pk)
    assert identity.read_identity(fresh) == {} and identity.display_name(fresh) == ""
    assert Note.objects.get(pk=note.pk).body == ""
    assert Flag.objects.get(pk=flag.pk).reason == ""
    assert Approval.objects.get(pk=approval.pk).comment == ""
    assert all(identity.changes_of(op) == {} for op in ops)
    with pytest.raises(FileNotFoundError):
        storage.read(att.pk)
    assert keys.is_forgotten(case.pk)
    assert identity.display_name(Case.objects.get(pk=other.pk)).startswith("Awa")


def test_a_case_page_of_an_erased_record_still_opens(cast, client):
    case = make_case(cast.worker, name_first="Kadidiatou")
    add_note(cast.worker, case, body=SECRET)
    identity.forget_record_key(case.pk)
    client.force_login(cast.worker)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    assert SECRET.encode() not in response.content


def test_the_keys_are_owner_only_files_of_the_data_folder(cast):
    make_case(cast.worker)
    for path in (keys.master_path(), keys.store_path()):
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert stat.S_IMODE(keys.folder().stat().st_mode) == 0o700


def test_values_written_before_encryption_are_read_as_they_are(cast):
    case = make_case(cast.worker, name_first="Awa")
    raw_set("cases_case", "identity_blob", case.pk, '{"fields":{"name_first":"Ancienne"}}')
    assert identity.read_identity(Case.objects.get(pk=case.pk)) == {
        "fields": {"name_first": "Ancienne"}}
    att = add_attachment(cast.worker, case, "supporting_documents", upload("acte.pdf", PDF))
    storage.path_of(att.pk).write_bytes(PDF)  # a file kept by a version before this one
    assert storage.read(att.pk) == PDF
