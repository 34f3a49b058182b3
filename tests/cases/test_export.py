"""Exports hold only the cases and the fields the user may see, and are audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied

from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.export import export_csv

from ..conftest import make_case


def rows(user):
    return list(csv.DictReader(io.StringIO("".join(export_csv(user)))))


@pytest.fixture
def cases(cast):
    return [make_case(cast.worker), make_case(cast.colleague, name_first="Salif", sex="male"),
            make_case(cast.outsider, name_first="Kossi", location_current="TG-M-GOL")]


def test_a_supervisor_exports_only_the_cases_of_the_team(cast, cases):
    assert [r["short_id"] for r in rows(cast.manager)] == [cases[0].short_id]


def test_the_relay_cell_exports_its_region_and_coordination_everything(cast, cases):
    assert {r["short_id"] for r in rows(cast.relay)} == {cases[0].short_id, cases[1].short_id}
    assert len(rows(cast.coordinator)) == 3


def test_an_export_carries_the_readable_answers(cast, cases):
    (row,) = rows(cast.manager)
    assert (row["name_first"], row["sex"], row["age"]) == ("Awa", "female", "12")


@pytest.mark.parametrize("role", ["worker", "provider", "partner", "outsider"])
def test_roles_without_the_export_right_are_refused(cast, cases, role):
    with pytest.raises(PermissionDenied):
        export_csv(cast.everyone[role])


def test_an_export_is_audited_with_a_count_and_no_names(cast, cases):
    rows(cast.coordinator)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.user == cast.coordinator and event.details["count"] == 3
    assert "Awa" not in str(event.details)
