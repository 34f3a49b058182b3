"""Form validation refuses bad answers with messages a case worker understands."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiri.cases.models import Case
from yiri.cases.services import create_record, update_record
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import AnswersInvalid, validate_answers
from yiri.sync.models import Operation

from ..conftest import child_answers, make_case


def errors_for(user, **answers):
    with pytest.raises(AnswersInvalid) as err:
        create_record(user, "case", child_answers(**answers))
    return err.value.errors


def test_a_missing_required_field_names_the_field(cast):
    errors = errors_for(cast.worker, sex=None)
    assert errors["sex"] == ["Ce champ est obligatoire : Sexe."]


def test_an_age_out_of_range_says_which_range(cast):
    assert errors_for(cast.worker, age=40)["age"] == ["Saisissez un nombre entre 0 et 25."]
    assert errors_for(cast.worker, age="douze")["age"] == ["Saisissez un nombre, par exemple 12."]


def test_a_date_in_the_future_is_refused(cast):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert errors_for(cast.worker, registration_date=tomorrow)["registration_date"] == [
        "La date ne peut pas être dans le futur."]
    assert "AAAA-MM-JJ" in errors_for(cast.worker, registration_date="15/01/2026")["registration_date"][0]


def test_an_unknown_choice_lists_the_possible_choices(cast):
    message = errors_for(cast.worker, sex="f")["sex"][0]
    assert "« f » n'est pas un choix possible" in message and "Féminin" in message


def test_an_unknown_place_and_an_unknown_field_are_refused(cast):
    errors = errors_for(cast.worker, location_current="XX-999", favourite_colour="bleu")
    assert "Lieu inconnu" in errors["location_current"][0]
    assert errors["favourite_colour"] == ["Champ inconnu dans ce formulaire."]


def test_a_bad_subform_row_points_at_the_row_and_field(cast):
    case = make_case(cast.worker)
    with pytest.raises(AnswersInvalid) as err:
        update_record(cast.worker, case, {"services": [{"service_type": "teleportation"}]})
    assert list(err.value.errors) == ["services.0.service_type"]


def test_a_refused_write_saves_nothing(cast):
    case = make_case(cast.worker)
    ops, version = Operation.objects.count(), case.version
    with pytest.raises(AnswersInvalid):
        update_record(cast.worker, case, {"risk_level": "extreme", "sex": "male"})
    case.refresh_from_db()
    assert (Operation.objects.count(), case.version, case.sex) == (ops, version, "female")
    assert Case.objects.count() == 1


def test_a_field_hidden_by_its_condition_is_not_required(db):
    schema = get_schema("case")
    hidden = [f for f in schema.fields.values() if f.visible_if]
    assert hidden, "the default forms have conditional fields"


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.none(),
                 st.lists(st.text(max_size=5), max_size=3), st.booleans()))
def test_any_value_for_any_field_is_either_cleaned_or_refused_with_a_message(db_schema, value):
    schema = db_schema
    for code in ("age", "sex", "registration_date", "protection_concerns", "urgent_protection_concern",
                 "name_first", "services"):
        try:
            validate_answers(schema, {code: value})
        except AnswersInvalid as exc:
            assert all(isinstance(m, str) and m for msgs in exc.errors.values() for m in msgs)


@pytest.fixture(scope="module")
def db_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return get_schema("case")
