"""Per-section rights through the API: the service provider's view of an assigned case."""

from __future__ import annotations

import pytest

from yiri.cases.services import assign_record, update_record
from yiri.sync.models import Operation

from ..conftest import make_case

PROVIDER_READS = {"basic_identity", "consent", "protection_concerns", "services_section", "followup"}


@pytest.fixture
def case(cast):
    case = make_case(cast.worker)
    case = update_record(cast.worker, case, {
        "risk_level": "high",  # protection concerns: readable by the provider
        "exploitation_narrative": "Récit confidentiel",  # trafficking: not readable
        "closure_details": "Détails",  # closure: not readable
    })
    assign_record(cast.manager, case, cast.provider)
    return case


def url(case, section=None):
    base = f"/api/v1/cases/{case.pk}/"
    return base + (f"sections/{section}/" if section else "")


def test_the_provider_sees_only_the_answers_of_readable_sections(cast, case, api):
    detail = api(cast.provider).get(url(case)).json()
    assert detail["answers"]["name_first"] == "Awa"
    assert detail["answers"]["risk_level"] == "high"
    assert "exploitation_narrative" not in detail["answers"]
    assert "closure_details" not in detail["answers"]
    assert "Récit confidentiel" not in str(detail)
    assert set(detail["sections"]["readable"]) == PROVIDER_READS
    assert set(detail["sections"]["writable"]) == {"services_section", "followup"}


def test_the_case_worker_sees_every_section(cast, case, api):
    detail = api(cast.worker).get(url(case)).json()
    assert detail["answers"]["exploitation_narrative"] == "Récit confidentiel"


def test_the_provider_cannot_write_the_identity_section(cast, case, api):
    r = api(cast.provider).patch(url(case, "basic_identity"),
                                 {"answers": {"name_first": "Aminata"}, "version": case.version},
                                 format="json")
    assert r.status_code == 403
    assert r.json()["detail"] == "Vous ne pouvez pas modifier ces champs : Prénom(s)."
    case.refresh_from_db()
    assert api(cast.worker).get(url(case)).json()["answers"]["name_first"] == "Awa"


def test_the_provider_can_record_a_service(cast, case, api):
    r = api(cast.provider).patch(
        url(case, "services_section"),
        {"answers": {"services": [{"service_type": "health", "implemented": True}]},
         "version": case.version},
        format="json",
    )
    assert r.status_code == 200, r.json()
    rows = r.json()["answers"]["services"]
    assert [(row["service_type"], row["implemented"]) for row in rows] == [("health", True)]
    assert r.json()["version"] == case.version + 1


def test_a_field_sent_to_the_wrong_section_is_refused(cast, case, api):
    r = api(cast.provider).patch(url(case, "services_section"),
                                 {"answers": {"name_first": "Aminata"}, "version": case.version},
                                 format="json")
    assert r.status_code == 400
    assert "name_first" in r.json()["errors"]


def test_the_history_hides_changes_to_unreadable_sections(cast, case, api):
    entries = api(cast.provider).get(url(case) + "history/").json()["results"]
    fields = {c["field"] for e in entries for c in e["changes"]}
    assert "risk_level" in fields and "name_first" in fields
    assert "exploitation_narrative" not in fields and "closure_details" not in fields
    assert "Récit confidentiel" not in str(entries)


def test_the_history_shows_identifying_values_to_those_who_read_their_section(cast, case, api):
    update_record(cast.worker, case, {"name_first": "Aïcha"})
    entries = api(cast.provider).get(url(case) + "history/").json()["results"]
    renames = [c for e in entries for c in e["changes"] if c["field"] == "name_first"]
    assert [(c["value"], c["old_value"]) for c in renames] == [("Awa", None), ("Aïcha", "Awa")]
    assert Operation.objects.filter(entity_id=case.pk).count() == len(entries)


@pytest.fixture
def no_identity_user(cast):
    """A role that sees every case but not the identity section (none is seeded)."""
    from yiri.accounts.models import Role, User

    role = Role.objects.create(
        code="services_only", name_fr="Services", name_en="Services", scope="all",
        permissions={"case": ["view", "edit"]},
        form_rights={"case": {"*": "none", "services_section": "rw"}},
    )
    return User.objects.create_user("services", password="x" * 20, role=role)


def test_without_the_identity_section_no_name_appears_anywhere(cast, case, api, no_identity_user):
    client = api(no_identity_user)
    rows = client.get("/api/v1/cases/").json()["results"]
    assert [r["id"] for r in rows] == [str(case.pk)]
    assert "display_name" not in rows[0]
    detail = client.get(url(case)).json()
    assert "display_name" not in detail and "name_first" not in detail["answers"]
    history = client.get(url(case) + "history/").json()["results"]
    assert "Awa" not in str(history) and "Ouédraogo" not in str(history)
    assert "Ouédraogo" not in str(rows) + str(detail)


def test_without_the_identity_section_a_name_search_finds_nothing(cast, case, api, no_identity_user):
    client = api(no_identity_user)
    assert client.post("/api/v1/cases/search/", {"q": "Ouédraogo"}, format="json").json()["count"] == 0
    assert client.post("/api/v1/cases/search/", {"short_id": case.short_id},
                       format="json").json()["count"] == 1
