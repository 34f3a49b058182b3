"""Form-section rights filter what a role reads and refuse what it may not write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiri.cases.access import readable_sections, visible_answers, writable_sections
from yiri.cases.identity import read_answers
from yiri.cases.services import create_record, update_record
from yiri.formconfig.schema import get_schema
from yiri.sync.models import Operation

from ..conftest import child_answers, referred_case


@pytest.fixture
def shared_case(cast):
    case, _referral, row = referred_case(cast, risk_level="high")
    case.service_row = row
    return case


def test_a_service_provider_reads_identity_but_not_the_assessment(cast, shared_case):
    schema = get_schema("case")
    case = update_record(cast.worker, shared_case, {"assessment_summary": "Besoin d'un abri"})
    shown = visible_answers(cast.provider, schema, read_answers(case, schema))
    assert shown["name_first"] == "Awa"
    assert "assessment_summary" not in shown
    assert "basic_identity" in readable_sections(cast.provider, schema)
    assert "assessment" not in readable_sections(cast.provider, schema)


def test_a_service_provider_writes_services_but_not_identity(cast, shared_case):
    schema = get_schema("case")
    assert writable_sections(cast.provider, schema) == ["services_section", "followup"]
    update_record(cast.provider, shared_case,
                  {"services": [{"_id": shared_case.service_row, "service_notes": "Vu"}]})
    before = Operation.objects.count()
    with pytest.raises(PermissionDenied, match="Prénom"):
        update_record(cast.provider, shared_case, {"name_first": "Autre"})
    assert Operation.objects.count() == before


def test_read_only_roles_cannot_write_any_section(cast, shared_case):
    with pytest.raises(PermissionDenied):
        update_record(cast.relay, shared_case, {"risk_level": "low"})
    with pytest.raises(PermissionDenied):
        update_record(cast.coordinator, shared_case, {"risk_level": "low"})


def test_a_partner_viewer_can_neither_create_nor_read_sections(cast):
    with pytest.raises(PermissionDenied):
        create_record(cast.partner, "case", child_answers())
    assert readable_sections(cast.partner, get_schema("case")) == []


def test_a_section_update_refuses_fields_of_another_section(cast, shared_case):
    from yiri.formconfig.validation import AnswersInvalid

    with pytest.raises(AnswersInvalid) as err:
        update_record(cast.worker, shared_case, {"risk_level": "low"}, section="basic_identity")
    assert "risk_level" in err.value.errors
