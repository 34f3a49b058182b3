"""Exports hold only the cases and the fields the user may see, are audited, and open in a
French spreadsheet: BOM, ``;``, the form's labels, lookup labels, local time."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied

from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.export import _cell, export_csv
from yiri.cases.services import update_record
from yiri.formconfig.schema import FieldDef, get_schema

from ..conftest import make_case


def text(user) -> str:
    return "".join(export_csv(user))


def rows(user):
    body = text(user)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:]), delimiter=";"))


@pytest.fixture
def cases(cast):
    return [make_case(cast.worker), make_case(cast.colleague, name_first="Salif", sex="male"),
            make_case(cast.outsider, name_first="Kossi", location_current="TG-M-GOL")]


def test_a_supervisor_exports_only_the_cases_of_the_team(cast, cases):
    assert [r["Numéro"] for r in rows(cast.manager)] == [cases[0].short_id]


def test_the_relay_cell_exports_its_region_and_coordination_everything(cast, cases):
    assert {r["Numéro"] for r in rows(cast.relay)} == {cases[0].short_id, cases[1].short_id}
    assert len(rows(cast.coordinator)) == 3


def test_an_export_carries_the_readable_answers(cast, cases):
    (row,) = rows(cast.manager)
    assert (row["Prénom(s)"], row["Sexe"], row["Âge (en années)"]) == ("Awa", "Féminin", "12")


@pytest.mark.parametrize("role", ["worker", "provider", "partner", "outsider"])
def test_roles_without_the_export_right_are_refused(cast, cases, role):
    with pytest.raises(PermissionDenied):
        export_csv(cast.everyone[role])


def test_an_export_is_audited_with_a_count_and_no_names(cast, cases):
    rows(cast.coordinator)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.user == cast.coordinator and event.details["count"] == 3
    assert "Awa" not in str(event.details)


def test_headers_are_the_forms_french_labels_and_values_their_labels(cast, cases):
    update_record(cast.worker, cases[0], {"risk_level": "high"})
    (row,) = rows(cast.manager)
    assert list(row)[:5] == ["Numéro", "Statut", "Étape", "Organisation", "Mis à jour (heure locale)"]
    assert (row["Statut"], row["Étape"], row["Organisation"]) == ("Ouvert", "Nouveau", "ACE")
    assert row["Niveau de risque"] == "Élevé" and row["Âge (en années)"] == "12"
    assert row["Date d'enregistrement"] == "15/01/2026"
    assert row["Localité actuelle"] == "Kadiogo"
    assert "name_first" not in text(cast.manager) and "female" not in text(cast.manager)


def test_a_list_of_choices_is_one_quoted_cell(cast, cases):
    update_record(cast.worker, cases[0], {"protection_concerns": ["trafficked", "street_child"]})
    (row,) = rows(cast.manager)
    labels = row["Préoccupations de protection"].split(", ")
    assert len(labels) == 2 and "trafficked" not in labels


def test_decimals_are_written_with_a_comma_and_no_thousands_separator(db):
    schema = get_schema("case")
    number = FieldDef(code="weight", type="number", label_fr="Poids", label_en="Weight", section="x")
    assert [_cell(schema, number, v, {}) for v in (12.5, 5000, 3.0)] == ["12,5", "5000", "3"]


def test_times_are_in_local_time(cast, cases, settings):
    settings.TIME_ZONE = "Africa/Lagos"  # UTC+1: unlike Ouagadougou, local time differs from UTC
    (row,) = rows(cast.manager)
    local = cases[0].updated_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert row["Mis à jour (heure locale)"] == local.strftime("%d/%m/%Y %H:%M")


def test_lines_end_with_crlf_and_cells_are_quoted_only_when_needed(cast, cases):
    body = text(cast.manager)
    assert body.count("\r\n") == 2 and '"' not in body.splitlines()[0]
