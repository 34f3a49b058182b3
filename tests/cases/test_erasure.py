"""Erasing a child's identifying data: four eyes, and nothing left that names the child on
this node — record, change log, search tokens, notes, flags, workflow comments, attached
files — while the non-identifying answers stay for the statistics."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from yiri.accounts.models import User
from yiri.attachments import storage
from yiri.attachments.models import Attachment
from yiri.attachments.services import add_attachment
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases import erasure, identity
from yiri.cases.erasure import ErasureRefused, approve_erasure, refuse_erasure, request_erasure
from yiri.cases.models import Case, Erasure, ErasureStatus, Flag, Incident, NameToken, Note
from yiri.cases.notes import add_flag, add_note
from yiri.cases.services import create_record, set_record_meta, update_record
from yiri.formconfig.schema import get_schema
from yiri.sync.models import Operation, raw_writes

from ..attachments.files import photo
from ..conftest import make_case

FIRST, LAST, PHONE = "Zéphyrine", "Kwëtzalcoatlù", "70112233"


def canary_case(cast):
    case = make_case(cast.worker, name_first=FIRST, name_last=LAST, phone=PHONE)
    add_note(cast.worker, case, subject=f"Visite chez {LAST}", body=f"{FIRST} va mieux")
    add_flag(cast.worker, case, reason=f"La tante de {FIRST} menace")
    add_attachment(cast.worker, case, "photos", photo(f"{FIRST}_{LAST}.jpg"))
    return Case.objects.get(pk=case.pk)


def closed(cast, case):
    from yiri.workflow.services import decide_approval, request_approval

    approval = request_approval(cast.worker, case, "closure", closure_reason="formal_closing",
                                comment=f"{FIRST} est rentrée chez elle")
    decide_approval(cast.manager, approval, approve=True)
    return Case.objects.get(pk=case.pk)


def database_text() -> str:
    """Every text column of every table, as stored: where a name could hide."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from the schema)
            out.extend(json.dumps(row, default=str, ensure_ascii=False) for row in cursor.fetchall())
    return "\n".join(out)


def _plain(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()


def names_in(text: str) -> bool:
    """The names as typed, JSON-escaped, or normalised as search tokens and sort keys
    hold them (lower case, no accents)."""
    lowered = _plain(text)
    return any(w in text or json.dumps(w).strip('"') in text or _plain(w) in lowered
               for w in (FIRST, LAST, PHONE))


@pytest.fixture
def second_manager(cast):
    other = User.objects.create_user("manager2", password="motdepasse-tres-long-42",
                                     role=cast.manager.role, agency=cast.ace, first_name="M2")
    other.user_groups.add(cast.team_a)  # the worker's team: the same cases in scope
    return other


def test_the_detector_sees_a_name_written_in_clear_in_any_table(cast):
    from django.db import connection

    case = canary_case(cast)
    assert FIRST in identity.display_name(case)  # there, readable through the codec
    assert not names_in(database_text())  # encrypted at rest: no clear copy
    with connection.cursor() as cursor:  # a leak, planted where no codec reads
        cursor.execute("UPDATE network_agency SET name = %s WHERE code = 'ACE'", [LAST])
    assert names_in(database_text())


def test_an_approved_erasure_leaves_no_trace_of_the_child_on_this_node(cast, second_manager):
    case = closed(cast, canary_case(cast))
    files = [storage.path_of(a.pk) for a in Attachment.objects.filter(record_id=case.pk)]
    assert files and all(f.exists() for f in files)
    req = request_erasure(cast.manager, case, "retention")
    report = approve_erasure(second_manager, req)

    assert report.records == 1 and report.operations >= 3 and report.files == 1
    assert not names_in(database_text())
    assert not any(f.exists() for f in files)
    case = Case.objects.get(pk=case.pk)
    assert case.erased and identity.display_name(case) == ""
    assert not NameToken.objects.filter(record_id=case.pk).exists()
    assert not Operation.objects.filter(record_id=case.pk).exclude(sealed_changes="").exists()
    assert all(n.subject == "" and n.body == "" for n in Note.objects.filter(record_id=case.pk))
    assert all(f.reason == "" for f in Flag.objects.filter(record_id=case.pk))
    # What is not identifying stays for the statistics.
    assert case.sex == "female" and case.status == "closed" and case.data.get("age") == 12


def test_the_requester_cannot_approve_their_own_erasure(cast):
    case = canary_case(cast)
    req = request_erasure(cast.manager, case, "request")
    with pytest.raises(PermissionDenied):
        approve_erasure(cast.manager, req)
    assert identity.display_name(Case.objects.get(pk=case.pk)) == f"{FIRST} {LAST}"
    assert Erasure.objects.get(pk=req.pk).status == ErasureStatus.REQUESTED


@pytest.mark.parametrize("who", ["worker", "outsider", "provider", "partner"])
def test_a_role_without_the_right_can_neither_ask_nor_approve(cast, who):
    case = canary_case(cast)
    with pytest.raises(PermissionDenied):
        request_erasure(getattr(cast, who), case, "request")
    req = request_erasure(cast.manager, case, "request")
    with pytest.raises(PermissionDenied):
        approve_erasure(getattr(cast, who), req)
    with pytest.raises(PermissionDenied):
        refuse_erasure(getattr(cast, who), req)


def test_the_right_reaches_only_records_in_the_users_own_scope(cast):
    """The national coordination holds the right; a supervisor of another organisation
    does not reach ACE's case at all."""
    other = User.objects.create_user("tmanager", password="motdepasse-tres-long-42",
                                     role=cast.manager.role, agency=cast.tgo)
    case = canary_case(cast)
    with pytest.raises(PermissionDenied):
        request_erasure(other, case, "request")
    req = request_erasure(cast.coordinator, case, "error")
    approve_erasure(cast.manager, req)
    assert Case.objects.get(pk=case.pk).erased


def test_a_refused_erasure_removes_nothing_and_a_second_request_waits_for_the_first(
        cast, second_manager):
    case = canary_case(cast)
    req = request_erasure(cast.manager, case, "request")
    with pytest.raises(ErasureRefused):
        request_erasure(second_manager, case, "request")
    refuse_erasure(second_manager, req)
    with pytest.raises(ErasureRefused):
        approve_erasure(cast.admin, req)
    assert identity.display_name(Case.objects.get(pk=case.pk)) == f"{FIRST} {LAST}"
    with pytest.raises(ErasureRefused):
        request_erasure(cast.manager, case, "because")  # not a reason code


def test_the_audit_says_who_asked_and_who_approved_never_the_name(cast, second_manager):
    case = canary_case(cast)
    req = request_erasure(cast.manager, case, "request")
    approve_erasure(second_manager, req)
    done = AuditEvent.objects.get(action=AuditAction.ERASURE, record_id=case.pk)
    assert done.user == second_manager
    assert done.details["requested_by"] == str(cast.manager.pk)
    assert done.details["approved_by"] == str(second_manager.pk)
    assert done.details["log_rewritten"] >= 3
    asked = AuditEvent.objects.get(action=AuditAction.ERASURE_REQUEST, record_id=case.pk)
    assert asked.user == cast.manager and asked.details["reason"] == "request"
    assert not names_in(json.dumps([e.details for e in AuditEvent.objects.all()],
                                   ensure_ascii=False))


def test_an_erased_record_is_read_only(cast, second_manager):
    case = canary_case(cast)
    approve_erasure(second_manager, request_erasure(cast.manager, case, "request"))
    with pytest.raises(PermissionDenied):
        update_record(cast.worker, Case.objects.get(pk=case.pk), {"name_first": FIRST})
    with pytest.raises(PermissionDenied):
        add_note(cast.worker, Case.objects.get(pk=case.pk), body=FIRST)


def test_erasing_a_case_erases_its_incidents_too(cast, second_manager):
    case = canary_case(cast)
    incident = create_record(cast.worker, "incident", {
        "incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
        "survivor_sex": "female", "incident_location": "BF-KAD"})
    set_record_meta(cast.worker, incident, "link_case", AuditAction.UPDATE, case_id=case.pk)
    report = approve_erasure(second_manager, request_erasure(cast.manager, case, "request"))
    assert report.records == 2
    assert Incident.objects.get(pk=incident.pk).erased


def test_retention_counts_closed_cases_past_the_period_and_proposes_their_erasure(
        cast, settings, second_manager):
    settings.YIRI_RETENTION_YEARS = 5
    old, recent, _open = (canary_case(cast) for _ in range(3))
    old, recent = closed(cast, old), closed(cast, recent)
    assert not erasure.past_retention().exists()  # closed today
    # Six years later, the first one only (its closure date, derived from the answers, is
    # moved back here directly: a test's shortcut, not a change other nodes must see).
    today = dt.date.today()
    with raw_writes():
        Case.objects.filter(pk=old.pk).update(closure_date=today - dt.timedelta(days=6 * 366))
        Case.objects.filter(pk=recent.pk).update(closure_date=today - dt.timedelta(days=366))
    assert list(erasure.past_retention().values_list("pk", flat=True)) == [old.pk]

    out = StringIO()
    call_command("retention", stdout=out)
    assert "Dossiers clôturés au-delà du délai : 1." in out.getvalue()
    assert not names_in(out.getvalue()) and old.short_id not in out.getvalue()
    with pytest.raises(CommandError):
        call_command("retention", "--propose", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("retention", "--propose", "--as", "worker", stdout=StringIO())
    out = StringIO()
    call_command("retention", "--propose", "--as", "manager", stdout=out)
    assert "Demandes d'effacement créées : 1" in out.getvalue()
    req = Erasure.objects.get(record_id=old.pk)
    assert req.reason == "retention" and req.status == ErasureStatus.REQUESTED
    assert not erasure.past_retention().exists()  # already proposed: not twice
    approve_erasure(second_manager, req)
    assert Case.objects.get(pk=old.pk).erased and not Case.objects.get(pk=recent.pk).erased


def test_a_late_operation_on_an_erased_record_arrives_without_its_identifying_values(
        cast, second_manager):
    """An office that had not heard of the erasure sends an edit naming the child: it is
    stored and merged without its sealed values; what identifies no one merges."""
    from yiri.sync.apply import apply_operations, from_wire, to_wire

    case = canary_case(cast)
    approve_erasure(second_manager, request_erasure(cast.manager, case, "request"))
    late = Operation(
        id=None, origin_node="office-late", counter=1, hlc=Operation.objects.order_by(
            "-hlc").first().hlc + 1, seq=0, entity="case", entity_id=case.pk, kind="update",
        author_id=cast.worker.pk, changes={"age": [13, 12, None]}, sealed_changes="",
        record_type="case", record_id=case.pk, meta={})
    # Identifying values travel in the clear inside the sealed transport (``to_wire``).
    wire = {**to_wire(late), "s": {"name_nickname": ["Zéphyrine-la-petite", None, None]}}
    assert erasure.scrub_incoming([from_wire(wire, received_from="x")]) == 1
    apply_operations([from_wire(wire, received_from="office-late")], received_from="office-late")
    stored = Operation.objects.get(origin_node="office-late")
    assert stored.sealed_changes == ""
    case = Case.objects.get(pk=case.pk)
    assert identity.display_name(case) == ""
    assert "name_nickname" not in identity.read_answers(case, get_schema("case"))
    assert case.data["age"] == 13
    assert not names_in(database_text())


def test_scrubbing_leaves_the_operations_of_other_records_alone(cast):
    case = canary_case(cast)
    ops = list(Operation.objects.filter(record_id=case.pk).exclude(sealed_changes=""))
    assert ops and erasure.scrub_incoming(ops) == 0
    assert all(op.sealed_changes for op in ops)


@given(today=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2200, 12, 31)),
       years=st.integers(min_value=0, max_value=40))
def test_the_retention_cutoff_is_that_many_years_back_even_from_29_february(today, years):
    from django.test import override_settings

    with override_settings(YIRI_RETENTION_YEARS=years):
        cutoff = erasure.retention_cutoff(today)
    assert cutoff.year == today.year - years and cutoff.month == today.month
    assert cutoff.day == today.day or (today.month, today.day, cutoff.day) == (2, 29, 28)
