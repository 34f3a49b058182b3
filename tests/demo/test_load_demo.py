"""The demo data command: a whole network, valid cases, reproducible, safe to reset."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from yiri.accounts.models import User
from yiri.accounts.roles import SEEDED_ROLES
from yiri.cases import blind_index
from yiri.cases.identity import display_name, read_answers
from yiri.cases.models import Case, Incident, NameToken, TracingRequest
from yiri.demo.generator import CaseGenerator
from yiri.demo.loader import demo_places
from yiri.demo.network import AGENCIES, CELLS, demo_password
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import validate_answers
from yiri.lib import names
from yiri.network.models import Agency, RelayCell
from yiri.sync.models import Operation

TODAY = "2026-03-02"
DEMO_CODES = {a.code for a in AGENCIES}


def load_demo(*args, cases=60, seed=42, **kwargs) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, cases=cases, seed=seed, today=dt.date.fromisoformat(TODAY),
                 stdout=out, **kwargs)
    return out.getvalue()


def demo_cases():
    return Case.objects.filter(owning_agency__code__in=DEMO_CODES)


def fingerprint() -> list[tuple]:
    """What a person would compare between two demo databases (ids and clocks differ)."""
    rows = demo_cases().select_related("owner", "location")
    return sorted((display_name(c), c.sex, c.date_of_birth, c.risk_level, c.workflow_stage, c.status,
                   c.concerns, c.owner.username if c.owner else None,
                   c.location.code if c.location else None, c.created_at) for c in rows)


def test_the_demo_has_eight_organisations_two_relay_cells_and_a_user_for_every_role(db):
    output = load_demo(cases=20)
    assert Agency.objects.filter(code__in=DEMO_CODES).count() == 8
    countries = Counter(a.country.code for a in Agency.objects.filter(code__in=DEMO_CODES))
    assert countries == {"BF": 5, "TG": 3}
    assert not DEMO_CODES & {"ACE", "BTA", "TGO"}  # the shared test cast's codes
    cells = RelayCell.objects.filter(code__in=[c.code for c in CELLS])
    assert cells.count() == 2
    assert all(cell.members.exists() and cell.regions.exists() for cell in cells)
    roles = set(User.objects.values_list("role__code", flat=True))
    assert set(SEEDED_ROLES) <= roles
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role.code == "administrator"
    for agency in Agency.objects.filter(code__in=DEMO_CODES):
        staff = Counter(agency.users.values_list("role__code", flat=True))
        assert staff == {"manager": 1, "case_worker": 3, "service_provider": 1}
    assert demo_password() in output and "admin" in output


def test_demo_users_log_in_with_the_printed_password(db):
    output = load_demo(cases=0)
    worker = User.objects.filter(role__code="case_worker", agency__code="ABE").first()
    assert worker.username in output
    assert authenticate(username=worker.username, password=demo_password()) == worker
    assert authenticate(username="admin", password=demo_password()) is not None


def test_every_demo_case_answers_the_case_form_validly(db):
    load_demo()
    schema = get_schema("case")
    cases = list(demo_cases())
    assert len(cases) == 60
    for case in cases:
        answers = read_answers(case, schema)
        assert validate_answers(schema, answers) == answers
        assert case.owner.agency_id == case.owning_agency_id
        assert case.owner.role.code == "case_worker"


def test_cases_follow_their_workflow_stage(db):
    load_demo(cases=120)
    schema = get_schema("case")
    stages = Counter(demo_cases().values_list("workflow_stage", flat=True))
    assert len(stages) >= 4
    for case in demo_cases():
        answers = read_answers(case, schema)
        if case.workflow_stage == "closed":
            assert case.status == "closed"
            assert answers["closure_reason"] and case.closure_date.isoformat() == answers["closure_date"]
        else:
            assert case.status == "open" and "closure_date" not in answers
        if case.workflow_stage in ("service_provision", "services_implemented", "closed"):
            assert answers["services"]
        if "trafficked" in case.concerns:
            assert answers["exploitation_type"] and answers["route_origin"]


def test_the_generator_emits_answers_that_validation_leaves_unchanged(db):
    load_demo(cases=0)  # the places and the workers the generator draws from
    gen = CaseGenerator(3, dt.date.fromisoformat(TODAY), demo_places(), {c: 3 for c in DEMO_CODES})
    schema = get_schema("case")
    for i in range(300):
        item = gen.case(i)
        assert validate_answers(schema, item.answers) == item.answers, item.index


def test_the_same_seed_gives_the_same_cases(db):
    load_demo()
    first = fingerprint()
    load_demo("--reset", "--yes-really")
    assert fingerprint() == first
    load_demo("--reset", "--yes-really", seed=43)
    assert fingerprint() != first


def test_some_children_are_registered_again_elsewhere_with_another_spelling(db, tmp_path):
    truth = tmp_path / "pairs.csv"
    load_demo(cases=200, truth_file=truth)
    with open(truth, encoding="utf-8") as fh:
        pairs = list(csv.DictReader(fh))
    assert 4 <= len(pairs) <= 10  # about 3 %
    schema = get_schema("case")
    for pair in pairs:
        a = Case.objects.get(short_id=pair["original"])
        b = Case.objects.get(short_id=pair["duplicate"])
        assert a.owning_agency_id != b.owning_agency_id
        assert a.sex == b.sex
        first, second = read_answers(a, schema), read_answers(b, schema)
        written = lambda x: (x["name_first"], x.get("name_last"))  # noqa: E731
        assert written(first) != written(second)
        keys = lambda x: set(names.phonetic_keys(f"{x['name_first']} {x.get('name_last', '')}"))  # noqa: E731
        assert keys(first) & keys(second)


def test_incidents_and_tracing_requests_point_to_demo_cases(db):
    load_demo()
    assert Incident.objects.filter(case__in=demo_cases()).count() >= 3
    assert TracingRequest.objects.filter(case__in=demo_cases()).count() >= 3
    linked = Incident.objects.filter(case__isnull=False).first()
    assert Operation.objects.filter(entity_id=linked.pk, changes__has_key="@case").exists()


def test_each_role_sees_the_cases_its_scope_allows(db):
    load_demo(cases=80)
    worker = User.objects.filter(role__code="case_worker").first()
    mine = Case.objects.visible_to(worker)
    assert mine.exists() and not mine.exclude(owner=worker).exclude(created_by=worker).exists()
    coordinator = User.objects.get(role__code="national_coordinator")
    assert Case.objects.visible_to(coordinator).count() == demo_cases().count()
    partner = User.objects.get(role__code="partner_viewer")
    assert not Case.objects.visible_to(partner).exists()
    relay = User.objects.filter(role__code="relay_data_manager", relay_cell__code="CRR-TG-KS").first()
    seen = set(Case.objects.visible_to(relay).values_list("owning_agency__code", flat=True))
    assert seen and seen <= {"ASKE", "FEES", "RTEP"}  # members, or cases placed in Kara/Savanes


def test_cases_are_found_by_name_whatever_the_spelling(db):
    load_demo()
    schema = get_schema("case")
    cases = list(demo_cases())
    case = next((c for c in cases if names.normalise(read_answers(c, schema).get("name_last"))
                 .startswith("ouedraogo")), cases[0])
    last = names.tokens(read_answers(case, schema)["name_last"])[0]
    key = names.phonetic_key(last)
    tokens = set(NameToken.objects.filter(record_id=case.pk).values_list("token", flat=True))
    assert blind_index.ring().token(blind_index.PHONETIC, key) in tokens
    assert blind_index.ring().token(blind_index.WORD, last) in tokens


def test_running_it_again_adds_cases_but_not_people(db):
    load_demo(cases=20)
    users, agencies = User.objects.count(), Agency.objects.count()
    output = load_demo(cases=20)
    assert (User.objects.count(), Agency.objects.count()) == (users, agencies)
    assert demo_cases().count() == 40
    assert "mot de passe inchangé" in output


def test_if_empty_leaves_a_database_with_cases_alone(db):
    load_demo(cases=10)
    load_demo("--if-empty", cases=10)
    assert demo_cases().count() == 10


def test_reset_is_refused_without_debug_or_the_explicit_flag(db, settings):
    settings.DEBUG = False
    load_demo(cases=10)
    with pytest.raises(CommandError, match="--yes-really"):
        load_demo("--reset", cases=0)
    assert demo_cases().count() == 10


def test_reset_removes_records_their_change_log_and_search_tokens(db, settings):
    settings.DEBUG = True
    load_demo(cases=10)
    load_demo("--reset", cases=0)
    assert not Case.objects.exists() and not Incident.objects.exists()
    assert not Operation.objects.filter(entity="case").exists()
    assert not NameToken.objects.exists()
    assert User.objects.filter(username="admin").exists()  # people and organisations stay
