"""The workflow as a bar at the top of the case page: the stages in order, the current
one marked, and what the case waits for."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiri.cases.services import update_record
from yiri.workflow.services import refer, request_approval, transfer

from ..conftest import make_case
from .helpers import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def _bar(html: str) -> str:
    match = re.search(r'<ol class="stages"[^>]*>.*?</ol>', html, flags=re.S)
    assert match, "no workflow bar"
    return match.group(0)


def _steps(bar: str) -> list[tuple[str, str]]:
    return [(cls, re.sub(r"<[^>]+>.*", "", label).strip())
            for cls, label in re.findall(r'<li class="(\w+)"[^>]*>(.*?)</li>', bar, flags=re.S)]


def test_a_new_case_shows_its_stages_in_order_with_the_first_current(cast):
    case = make_case(cast.worker)
    bar = _bar(client_for(cast.worker).get(f"/cases/{case.pk}/").content.decode())
    assert bar.count('aria-current="step"') == 1
    assert _steps(bar) == [
        ("current", "Nouveau"), ("todo", "Évaluation"), ("todo", "Plan de prise en charge"),
        ("todo", "Fourniture de services"), ("todo", "Services réalisés"), ("todo", "Clôturé"),
    ]
    assert re.search(r'<li class="current" aria-current="step">Nouveau', bar)


def test_passed_stages_are_marked_and_the_response_stage_is_the_cases_own(cast):
    case = make_case(cast.worker)
    case = update_record(cast.worker, case, {"case_plan_date": "2026-02-05", "services": [
        {"service_type": "health", "response_type": "care_plan"}]})
    from yiri.workflow.services import refresh_stage

    refresh_stage(cast.worker, case)
    steps = _steps(_bar(client_for(cast.worker).get(f"/cases/{case.pk}/").content.decode()))
    assert steps[:4] == [("done", "Nouveau"), ("done", "Évaluation"),
                         ("done", "Plan de prise en charge"), ("current", "Plan de soins")]


def test_the_bar_says_what_is_pending(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    request_approval(cast.worker, case, "assessment")
    refer(cast.worker, case, to_agency=cast.bta)
    transfer(cast.worker, case, to_agency=cast.tgo)
    head = client_for(cast.worker).get(f"/cases/{case.pk}/").content.decode().split('id="workflow"')[0]
    assert "Approbation demandée : Évaluation" in head
    assert "Orientation en attente de réponse : BTA" in head
    assert "Transfert en attente de réponse : TGO" in head


def test_the_bar_follows_an_htmx_save_out_of_band(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).post(f"/cases/{case.pk}/section/case_plan/", {
        "version": case.version, "case_plan_date": "2026-02-05"}, **HTMX)
    bar = _bar(r.content.decode())
    assert 'hx-swap-oob="true"' in bar
    assert ("current", "Plan de prise en charge") in _steps(bar)


def test_incidents_have_no_bar(cast):
    from yiri.cases.services import create_record

    incident = create_record(cast.worker, "incident", {
        "incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
        "survivor_sex": "female", "incident_location": "BF-KAD"})
    html = client_for(cast.worker).get(f"/incidents/{incident.pk}/").content.decode()
    assert 'class="stages"' not in html


def test_the_bar_costs_no_query_per_stage(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    c.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as before:
        c.get(f"/cases/{case.pk}/")
    case = update_record(cast.worker, case, {"case_plan_date": "2026-02-05", "services": [
        {"service_type": "health", "response_type": "care_plan"}]})
    with CaptureQueriesContext(connection) as after:
        c.get(f"/cases/{case.pk}/")
    assert len(after) == len(before)
