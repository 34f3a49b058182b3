"""Answers that contradict each other are refused; whole numbers stay whole; every
required section is enforced; an incident or tracing request starts from its case
(issue 6, defect 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from yiri.cases.identity import read_answers
from yiri.cases.models import Incident, TracingRequest
from yiri.cases.services import create_record, update_record
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import AnswersInvalid

from ..conftest import child_answers, make_case
from ..web.helpers import client_for


def years_ago(n: int) -> str:
    """A date of birth giving ``n`` years on the registration day of ``child_answers``."""
    registered = dt.date.fromisoformat(child_answers()["registration_date"])
    return registered.replace(year=registered.year - n, day=1).isoformat()


def test_an_age_with_a_fraction_is_refused(cast):
    with pytest.raises(AnswersInvalid) as err:
        create_record(cast.worker, "case", child_answers(age="12,5"))
    assert err.value.errors["age"] == ["Saisissez un nombre entier, par exemple 12."]


def test_an_age_that_contradicts_the_date_of_birth_is_refused(cast):
    with pytest.raises(AnswersInvalid) as err:
        create_record(cast.worker, "case", child_answers(age=3, date_of_birth="2010-03-01"))
    assert "ne correspond pas à la date de naissance" in err.value.errors["age"][0]


def test_an_estimated_age_may_be_a_year_off(cast):
    dob = years_ago(10)
    case = create_record(cast.worker, "case", child_answers(age=11, date_of_birth=dob,
                                                            age_estimated=True))
    assert read_answers(case, get_schema("case"))["age"] == 11


def test_changing_the_date_of_birth_alone_is_checked_against_the_stored_age(cast):
    case = make_case(cast.worker, age=12)
    with pytest.raises(AnswersInvalid):
        update_record(cast.worker, case, {"date_of_birth": "2020-01-01"})


def test_an_empty_age_is_filled_from_the_date_of_birth(cast):
    answers = child_answers(date_of_birth=years_ago(9))
    answers.pop("age")
    case = create_record(cast.worker, "case", answers)
    assert read_answers(case, get_schema("case"))["age"] == 9


def test_a_sought_childs_age_is_checked_in_its_row(cast):
    answers = {"inquiry_date": "2026-01-10", "tracing_request_status": "open",
               "inquirer_name_first": "Moussa",
               "traces": [{"sought_name_first": "Ali", "sought_age": 2,
                           "sought_date_of_birth": "2012-01-01", "trace_status": "open"}]}
    with pytest.raises(AnswersInvalid) as err:
        create_record(cast.worker, "tracing_request", answers)
    assert "traces.0.sought_age" in err.value.errors


def test_an_incident_needs_its_child_section(cast):
    with pytest.raises(AnswersInvalid) as err:
        create_record(cast.worker, "incident", {"incident_date": "2026-01-10",
                                                "incident_type": ["rape"]})
    assert {"survivor_age", "survivor_sex"} <= set(err.value.errors)
    assert not Incident.objects.exists()


def test_an_incident_registered_from_a_case_starts_from_the_childs_answers(cast):
    case = make_case(cast.worker, age=12, sex="female")
    r = client_for(cast.worker).get(f"/incidents/new/?case={case.pk}")
    html = r.content.decode()
    assert 'value="12"' in html.split('name="survivor_age"')[1][:200]
    assert '<option value="female" selected>' in html.split('name="survivor_sex"')[1][:600]


def test_a_tracing_request_from_a_case_describes_the_child_sought(cast):
    case = make_case(cast.worker, name_first="Awa", age=12)
    r = client_for(cast.worker).post("/tracing/new/", {
        "step": "save", "case": str(case.pk), "inquiry_date": "2026-01-10",
        "tracing_request_status": "open", "inquirer_name_first": "Moussa"})
    assert r.status_code == 302
    tr = TracingRequest.objects.get()
    row = read_answers(tr, get_schema("tracing_request"))["traces"][0]
    assert (row["sought_name_first"], row["sought_age"]) == ("Awa", 12)
    assert tr.case_id == case.pk
