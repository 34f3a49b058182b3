"""Readable record numbers are unique across record types; old numbers are kept."""

from __future__ import annotations

from django.conf import settings

from yiri.cases.models import Case, Incident
from yiri.cases.services import bulk_create_records, create_record
from yiri.lib.ids import short_id

from ..conftest import make_case

INCIDENT = {"incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
            "survivor_sex": "female", "incident_location": "BF-KAD"}
TRACING = {"inquiry_date": "2026-02-01", "tracing_request_status": "open",
           "inquirer_name_first": "Salif", "inquirer_name_last": "Kaboré",
           "inquirer_location": "BF-KAD"}


def test_an_incident_and_a_tracing_request_never_share_a_number(cast):
    incident = create_record(cast.worker, "incident", INCIDENT)
    tracing = create_record(cast.worker, "tracing_request", TRACING)
    case = make_case(cast.worker)
    assert len({incident.short_id, tracing.short_id, case.short_id}) == 3


def test_bulk_created_records_get_their_type_marker_too(cast):
    (incident,) = bulk_create_records(cast.worker, "incident", [INCIDENT])
    (tracing,) = bulk_create_records(cast.worker, "tracing_request", [TRACING])
    assert incident.short_id != tracing.short_id
    assert incident.short_id.split("-")[1].startswith("I")
    assert tracing.short_id.split("-")[1].startswith("R")


def test_cases_keep_todays_form(cast):
    case = make_case(cast.worker)
    node, number = case.short_id.split("-")
    assert node == settings.YIRI_NODE_CODE and number.isdigit() and len(number) == 5


def test_numbers_already_given_are_not_rewritten(cast):
    # No data migration touches short ids: a record keeps the number it was given.
    case = make_case(cast.worker)
    first = create_record(cast.worker, "incident", INCIDENT)
    create_record(cast.worker, "incident", INCIDENT)
    assert Incident.objects.get(pk=first.pk).short_id == first.short_id
    assert Case.objects.get(pk=case.pk).short_id == case.short_id
    assert short_id(settings.YIRI_NODE_CODE, 21) == f"{settings.YIRI_NODE_CODE}-00021"
