"""The case workflow as named actions (work in progress: signatures are final)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError

from .models import Approval, Referral


class WorkflowError(ValidationError):
    """The step is not possible in the case's current state (message for the user)."""


@dataclass(frozen=True)
class Task:
    kind: str
    case_id: UUID
    short_id: str
    due: dt.date | None
    overdue: bool
    label: str
    ref_id: UUID | None = None


def request_approval(user, case, kind: str, *, comment: str = "", closure_reason: str | None = None,
                     request=None) -> Approval:
    raise NotImplementedError


def decide_approval(user, approval: Approval, *, approve: bool, comment: str = "", request=None) -> Approval:
    raise NotImplementedError


def refer(user, case, *, to_agency, to_user=None, service_row_id=None, reason: str = "",
          consent_override: bool = False, request=None) -> Referral:
    raise NotImplementedError


def respond_referral(user, referral: Referral, *, accept: bool, comment: str = "", request=None) -> Referral:
    raise NotImplementedError


def complete_referral(user, referral: Referral, *, request=None) -> Referral:
    raise NotImplementedError


def revoke_referral(user, referral: Referral, *, request=None) -> Referral:
    raise NotImplementedError


def transfer(user, case, *, to_agency, to_user=None, reason: str = "", consent_override: bool = False,
             request=None) -> Referral:
    raise NotImplementedError


def respond_transfer(user, referral: Referral, *, accept: bool, comment: str = "", request=None) -> Referral:
    raise NotImplementedError


def reopen_case(user, case, *, reason: str = "", request=None):
    raise NotImplementedError


def compute_stage(case, answers: dict) -> str:
    raise NotImplementedError


def refresh_stage(user, case, *, request=None):
    raise NotImplementedError


def tasks_for(user, today: dt.date | None = None) -> list[Task]:
    raise NotImplementedError


def approvals_waiting_for(user):
    raise NotImplementedError


def referrals_waiting_for(user):
    raise NotImplementedError


def unread_notifications(user):
    raise NotImplementedError


def mark_read(user, ids) -> int:
    raise NotImplementedError
