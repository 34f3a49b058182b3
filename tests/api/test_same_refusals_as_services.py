"""The API allows and refuses exactly what the service layer the web interface uses does."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from yiri.cases.access import access_record
from yiri.cases.models import Case
from yiri.cases.services import assign_record, create_record, delete_record, update_record

from ..conftest import child_answers, make_case

ROLES = ["admin", "manager", "worker", "colleague", "provider", "relay", "coordinator",
         "partner", "outsider"]
SERVICES = {"services": [{"service_type": "health"}]}


def through_services(user, case, action: str) -> None:
    if action == "create":
        create_record(user, "case", child_answers())
    elif action == "view":
        access_record(user, Case, case.pk)
    elif action == "edit_identity":
        record = access_record(user, Case, case.pk, "edit")
        update_record(user, record, {"age": 13}, section="basic_identity",
                      expected_version=case.version)
    elif action == "edit_services":
        record = access_record(user, Case, case.pk, "edit")
        update_record(user, record, SERVICES, section="services_section",
                      expected_version=case.version)
    elif action == "delete":
        delete_record(user, access_record(user, Case, case.pk, "delete"))


def through_api(client, case, action: str):
    base = f"/api/v1/cases/{case.pk}/"
    if action == "create":
        return client.post("/api/v1/cases/", {"answers": child_answers()}, format="json")
    if action == "view":
        return client.get(base)
    if action == "edit_identity":
        return client.patch(base + "sections/basic_identity/",
                            {"answers": {"age": 13}, "version": case.version}, format="json")
    if action == "edit_services":
        return client.patch(base + "sections/services_section/",
                            {"answers": SERVICES, "version": case.version}, format="json")
    return client.delete(base)


class _Undo(Exception):
    pass


def service_outcome(user, case, action: str) -> int:
    """200, 403 or 404 as the services decide, leaving the database as it was."""
    try:
        with transaction.atomic():
            through_services(user, case, action)
            raise _Undo
    except _Undo:
        return 200
    except PermissionDenied:
        return 403
    except Http404:
        return 404


@pytest.mark.parametrize("action", ["view", "create", "edit_identity", "edit_services", "delete"])
@pytest.mark.parametrize("who", ROLES)
def test_the_api_answers_as_the_services_decide(cast, api, who, action):
    case = make_case(cast.worker)
    assign_record(cast.manager, case, cast.provider)
    user = cast.everyone[who]
    expected = service_outcome(user, case, action)
    r = through_api(api(user), case, action)
    got = 200 if r.status_code in (200, 201, 204) else r.status_code
    assert got == expected, (who, action, r.content)


def test_the_comparison_covers_allowed_refused_and_hidden_actions(cast):
    case = make_case(cast.worker)
    assign_record(cast.manager, case, cast.provider)
    outcomes = {
        (who, action): service_outcome(cast.everyone[who], case, action)
        for who, action in [("provider", "edit_identity"), ("provider", "edit_services"),
                            ("outsider", "view"), ("worker", "delete"), ("admin", "delete"),
                            ("partner", "create")]
    }
    assert outcomes == {
        ("provider", "edit_identity"): 403, ("provider", "edit_services"): 200,
        ("outsider", "view"): 404, ("worker", "delete"): 403, ("admin", "delete"): 200,
        ("partner", "create"): 403,
    }
