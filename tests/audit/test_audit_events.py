"""Logins, logouts, changes and permission changes are audited with ids, not personal data."""

from __future__ import annotations

from django.test import Client, RequestFactory

from yiri.accounts.models import Role
from yiri.audit.models import AuditAction, AuditEvent
from yiri.audit.services import record_event
from yiri.cases.services import update_record

from ..conftest import PASSWORD, make_case


def test_creating_and_changing_a_case_is_audited_with_field_codes_only(cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"name_last": "Sawadogo", "risk_level": "high"})
    events = AuditEvent.objects.filter(record_id=case.pk).order_by("at", "id")
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert events[1].details == {"fields": ["name_last", "risk_level"]}
    assert events[1].user == cast.worker
    assert "Sawadogo" not in str([e.details for e in events])


def test_login_and_logout_are_audited(cast):
    client = Client()
    assert client.login(username="worker", password=PASSWORD)
    client.logout()
    actions = list(AuditEvent.objects.filter(user=cast.worker).order_by("at", "id").values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.LOGIN, AuditAction.LOGOUT]


def test_an_audit_row_keeps_the_client_ip(cast):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    event = record_event(AuditAction.VIEW, user=cast.worker, request=request, record_type="case")
    assert event.ip == "10.1.2.3"


def test_changing_a_users_role_is_a_permission_change(cast):
    cast.worker.role = Role.objects.get(code="manager")
    cast.worker.save()
    event = AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE, record_id=cast.worker.pk).latest("at")
    assert event.details["role"] == "manager"


def test_changing_a_role_is_a_permission_change(cast):
    role = Role.objects.get(code="case_worker")
    role.permissions["case"].append("export")
    role.save()
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE, record_id=role.pk).exists()
