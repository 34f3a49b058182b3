"""Helpers for the workflow tests: a consented case with a service and a follow-up."""

from __future__ import annotations

import pytest

from yiri.cases.models import Case
from yiri.cases.services import update_record

from ..conftest import make_case

CONSENT = {"consent_for_services": True, "disclosure_other_orgs": True}


def consented_case(user, **overrides):
    return make_case(user, **{**CONSENT, **overrides})


def add_service(user, case, **row):
    row = {"service_type": "health", "response_type": "service_provision", **row}
    before = {r["_id"] for r in (Case.objects.get(pk=case.pk).data.get("services") or [])}
    case = update_record(user, case, {"services": [row]})
    (row_id,) = [r["_id"] for r in case.data["services"] if r["_id"] not in before]
    return case, row_id


def reload(case):
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def case(cast):
    return consented_case(cast.worker)
