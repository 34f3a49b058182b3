"""Notes and flags on a record: who may write and read them, what is stored where."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from yiri.accounts.models import FormRight, Role, Scope, User
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases import identity
from yiri.cases.models import Flag, Note, RawWriteRefused
from yiri.cases.notes import (
    NoteInvalid,
    add_flag,
    add_note,
    flagged_ids,
    flags_for,
    notes_for,
    remove_flag,
)
from yiri.cases.services import assign_record, create_record
from yiri.sync.models import Operation, OpKind

from ..conftest import PASSWORD, make_case

INCIDENT = {"incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
            "survivor_sex": "female", "incident_location": "BF-KAD"}
SECRET = "La tante Mariam Kaboré menace l'enfant"


def note_ops(entity: str = "note"):
    return list(Operation.objects.filter(entity=entity).order_by("counter"))


def no_name_reader(cast) -> User:
    """A role that sees every case but may not read the sections holding the names."""
    role = Role.objects.create(
        code="stats", name_fr="Statistiques", name_en="Statistics", scope=Scope.ALL,
        permissions={"case": ["view", "edit"]},
        form_rights={"case": {"*": FormRight.NONE, "protection_concerns": FormRight.READ}},
    )
    return User.objects.create_user("stats", password=PASSWORD, role=role, agency=cast.ace)


def test_a_worker_writes_notes_and_reads_them_newest_first(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, subject="Visite à domicile", body="Première visite.")
    add_note(cast.worker, case, body="  Deuxième visite.  ")
    notes = notes_for(cast.worker, case)
    assert [n.body for n in notes] == ["Deuxième visite.", "Première visite."]
    assert [n.subject for n in notes] == ["", "Visite à domicile"]
    assert notes[0].author == cast.worker and notes[0].created_at >= notes[1].created_at


def test_the_note_text_is_reachable_only_through_its_accessors(cast):
    case = make_case(cast.worker)
    note = add_note(cast.worker, case, subject="Menace", body=SECRET)
    row = Note.objects.filter(pk=note.pk).values().get()
    plain = {k: v for k, v in row.items() if k not in ("subject_blob", "body_blob")}
    assert SECRET not in json.dumps(plain, default=str)
    assert identity.is_sealed(row["body_blob"]) and SECRET not in row["body_blob"]
    assert Note.objects.get(pk=note.pk).body == SECRET
    (op,) = note_ops()
    assert SECRET not in json.dumps(op.changes) and "Menace" not in json.dumps(op.changes)
    assert set(identity.changes_of(op)) == {"subject_blob", "body_blob"}


def test_writing_a_note_appends_one_create_operation_to_the_change_log(cast):
    case = make_case(cast.worker)
    note = add_note(cast.worker, case, body="Texte")
    (op,) = note_ops()
    assert (op.entity_id, op.kind, op.author_id) == (note.pk, OpKind.CREATE, cast.worker.pk)
    assert op.changes["record_id"][0] == str(case.pk)
    assert op.changes["record_type"][0] == "case"


def test_flags_are_raised_and_lifted_with_a_reason_and_logged(cast):
    case = make_case(cast.worker)
    flag = add_flag(cast.worker, case, reason="Risque de représailles")
    assert [f.reason for f in flags_for(cast.worker, case)] == ["Risque de représailles"]
    lifted = remove_flag(cast.manager, flag.pk, reason="Famille relogée")
    assert lifted.removed and lifted.removed_by == cast.manager and lifted.removed_at
    assert flags_for(cast.worker, case) == []
    (kept,) = flags_for(cast.worker, case, include_removed=True)
    assert (kept.reason, kept.removal_reason) == ("Risque de représailles", "Famille relogée")
    create, update = note_ops("flag")
    assert (create.kind, update.kind) == (OpKind.CREATE, OpKind.UPDATE)
    assert update.changes["removed"][:2] == [True, False]
    assert "Famille" not in json.dumps(update.changes)
    assert "removal_reason_blob" in identity.changes_of(update)


def test_a_flag_cannot_be_lifted_without_a_reason_or_twice(cast):
    case = make_case(cast.worker)
    flag = add_flag(cast.worker, case, reason="Ne pas contacter la famille")
    with pytest.raises(NoteInvalid) as refused:
        remove_flag(cast.worker, flag, reason="   ")
    assert refused.value.errors == {"reason": ["Indiquez pourquoi le signalement est levé."]}
    assert not Flag.objects.get(pk=flag.pk).removed
    remove_flag(cast.worker, flag, reason="Fin du risque")
    with pytest.raises(NoteInvalid) as again:
        remove_flag(cast.worker, flag, reason="Encore")
    assert again.value.errors == {"__all__": ["Ce signalement a déjà été levé."]}
    assert len(note_ops("flag")) == 2


@pytest.mark.parametrize(("body", "message"), [
    ("", "Écrivez le texte de la note."),
    ("   \n ", "Écrivez le texte de la note."),
    ("x" * 5001, "5000 caractères au plus (vous en avez saisi 5001)."),
])
def test_an_empty_or_too_long_note_is_refused_and_nothing_is_written(cast, body, message):
    case = make_case(cast.worker)
    audits = AuditEvent.objects.count()
    with pytest.raises(NoteInvalid) as refused:
        add_note(cast.worker, case, body=body)
    assert refused.value.errors == {"body": [message]}
    assert not Note.objects.exists() and not note_ops()
    assert AuditEvent.objects.count() == audits


def test_a_note_of_exactly_the_limit_is_kept(cast):
    case = make_case(cast.worker)
    assert len(add_note(cast.worker, case, body="x" * 5000).body) == 5000


def test_a_too_long_subject_or_flag_reason_is_refused(cast):
    case = make_case(cast.worker)
    with pytest.raises(NoteInvalid) as subject:
        add_note(cast.worker, case, subject="s" * 201, body="ok")
    assert list(subject.value.errors) == ["subject"]
    with pytest.raises(NoteInvalid) as reason:
        add_flag(cast.worker, case, reason="r" * 501)
    assert list(reason.value.errors) == ["reason"]
    with pytest.raises(NoteInvalid):
        add_flag(cast.worker, case, reason="")
    assert not Note.objects.exists() and not Flag.objects.exists()


def test_outsiders_get_404_from_every_notes_and_flags_function(cast):
    case = make_case(cast.worker)
    flag = add_flag(cast.worker, case, reason="Risque")
    for who in (cast.outsider, cast.colleague):  # colleague: same agency, not their case
        with pytest.raises(Http404):
            add_note(who, case, body="Intrus")
        with pytest.raises(Http404):
            notes_for(who, case)
        with pytest.raises(Http404):
            add_flag(who, case, reason="Intrus")
        with pytest.raises(Http404):
            flags_for(who, case)
        with pytest.raises(Http404):
            remove_flag(who, flag.pk, reason="Intrus")
    with pytest.raises(Http404):
        remove_flag(cast.worker, "not-a-uuid", reason="x")
    assert not Note.objects.exists() and not Flag.objects.get(pk=flag.pk).removed


def test_a_read_only_role_reads_notes_but_may_not_write_them(cast):
    case = make_case(cast.worker)  # in the Centre relay cell's member agency
    add_note(cast.worker, case, body="Visible de la cellule")
    flag = add_flag(cast.worker, case, reason="Risque")
    assert [n.body for n in notes_for(cast.relay, case)] == ["Visible de la cellule"]
    assert flags_for(cast.relay, case)[0].reason_readable
    with pytest.raises(PermissionDenied):
        add_note(cast.relay, case, body="Non")
    with pytest.raises(PermissionDenied):
        add_flag(cast.relay, case, reason="Non")
    with pytest.raises(PermissionDenied):
        remove_flag(cast.relay, flag, reason="Non")
    assert Note.objects.count() == 1 and not Flag.objects.get(pk=flag.pk).removed


def test_an_assigned_service_provider_reads_and_writes_notes(cast):
    case = make_case(cast.worker)
    assign_record(cast.manager, case, cast.provider)
    add_note(cast.provider, case, body="Soins donnés au CSPS")
    assert [n.body for n in notes_for(cast.worker, case)] == ["Soins donnés au CSPS"]


def test_a_role_kept_from_the_names_sees_flags_but_not_their_reasons_nor_notes(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body=SECRET)
    add_flag(cast.worker, case, reason=SECRET)
    stats = no_name_reader(cast)
    (flag,) = flags_for(stats, case)
    assert flag.reason_readable is False
    with pytest.raises(PermissionDenied):
        notes_for(stats, case)
    with pytest.raises(PermissionDenied):
        add_note(stats, case, body="Rien")


def test_audit_rows_name_the_note_or_flag_but_carry_no_text(cast):
    case = make_case(cast.worker)
    note = add_note(cast.worker, case, subject="Sujet secret", body=SECRET)
    flag = add_flag(cast.worker, case, reason=SECRET)
    remove_flag(cast.worker, flag, reason=SECRET)
    events = AuditEvent.objects.filter(record_id=case.pk, action=AuditAction.UPDATE).order_by("at", "id")
    details = [e.details for e in events]
    assert {"note": True, "note_id": str(note.pk)} in details
    assert {"flag": "added", "flag_id": str(flag.pk)} in details
    assert {"flag": "removed", "flag_id": str(flag.pk)} in details
    assert SECRET not in json.dumps(details) and "Sujet secret" not in json.dumps(details)
    assert all(e.user == cast.worker and e.record_type == "case" for e in events)


def test_notes_and_flags_on_incidents_too(cast):
    incident = create_record(cast.worker, "incident", INCIDENT)
    add_note(cast.worker, incident, body="Témoignage recueilli")
    add_flag(cast.worker, incident, reason="Auteur présumé dans le voisinage")
    assert [n.body for n in notes_for(cast.worker, incident)] == ["Témoignage recueilli"]
    assert flagged_ids("incident", [incident.pk]) == {incident.pk}


def test_the_flagged_cases_of_a_page_are_found_in_one_query(cast):
    cases = [make_case(cast.worker) for _ in range(3)]
    add_flag(cast.worker, cases[0], reason="A")
    add_flag(cast.worker, cases[0], reason="B")
    lifted = add_flag(cast.worker, cases[1], reason="C")
    remove_flag(cast.worker, lifted, reason="fini")
    add_flag(cast.worker, cases[2], reason="D")
    with CaptureQueriesContext(connection) as ctx:
        found = flagged_ids("case", [c.pk for c in cases])
    assert found == {cases[0].pk, cases[2].pk}
    assert len(ctx.captured_queries) == 1


def test_bulk_changes_that_would_skip_the_change_log_are_refused(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Texte")
    add_flag(cast.worker, case, reason="Risque")
    with pytest.raises(RawWriteRefused):
        Note.objects.update(deleted=True)
    with pytest.raises(RawWriteRefused):
        Flag.objects.filter(record_id=case.pk).update(removed=True)
    with pytest.raises(RawWriteRefused):
        Note.objects.all().delete()
