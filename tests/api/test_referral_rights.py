"""Through the API too, a referral's recipient gets only what the referral is for, and
edits merge field by field from the stamps the client read."""

from __future__ import annotations

from yiri.accounts.models import Role, User
from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
from yiri.workflow.services import refer, respond_referral

from ..conftest import PASSWORD, make_case


def referred(cast, sections=None):
    bta_worker = User.objects.create_user("bta.worker", role=Role.objects.get(code="case_worker"),
                                          agency=cast.bta, password=PASSWORD)
    case = make_case(cast.worker, name_first="Zénabou", consent_for_services=True,
                     disclosure_other_orgs=True, services=[{"service_type": "health"}])
    row = read_answers(case, get_schema("case"))["services"][0]["_id"]
    referral = refer(cast.worker, case, to_agency=cast.bta, service_row_id=row, sections=sections)
    respond_referral(bta_worker, referral, accept=True)
    return bta_worker, case, row


def test_the_recipient_patches_the_referred_row_but_not_the_identity(cast, api):
    bta_worker, case, row = referred(cast)
    client = api(bta_worker)
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["can"] == {"edit": True, "delete": False}
    assert detail["sections"]["writable"] == []
    assert "assessment_summary" not in detail["answers"]
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/basic_identity/",
                     {"answers": {"name_first": "Autre"}, "stamps": detail["stamps"]}, format="json")
    assert r.status_code == 403
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/services_section/",
                     {"answers": {"services": [{"_id": row, "service_notes": "Vu"}]},
                      "stamps": detail["stamps"]}, format="json")
    assert r.status_code == 200, r.json()
    stored = read_answers(Case.objects.get(pk=case.pk), get_schema("case"))
    assert stored["name_first"] == "Zénabou" and stored["services"][0]["service_notes"] == "Vu"


def test_a_list_hides_names_the_referral_does_not_share(cast, api):
    bta_worker, case, _row = referred(cast, sections=["services_section"])
    rows = api(bta_worker).get("/api/v1/cases/").json()["results"]
    assert [r["short_id"] for r in rows] == [case.short_id]
    assert "display_name" not in rows[0]
    assert api(cast.outsider).get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_a_clash_through_the_api_is_a_409_with_both_values(cast, api):
    case = make_case(cast.worker)
    client = api(cast.worker)
    read = client.get(f"/api/v1/cases/{case.pk}/").json()["stamps"]
    api(cast.manager).patch(f"/api/v1/cases/{case.pk}/sections/protection_concerns/",
                            {"answers": {"risk_level": "low"}, "stamps": read}, format="json")
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/protection_concerns/",
                     {"answers": {"risk_level": "high", "urgent_protection_concern": True},
                      "stamps": read}, format="json")
    assert r.status_code == 409
    body = r.json()
    assert body["conflicts"] == [{"field": "risk_level", "value": "low", "your_value": "high",
                                  "old_value": None}]
    assert Case.objects.get(pk=case.pk).risk_level == "low"
    # Different fields from the same read both go through.
    r = client.patch(f"/api/v1/cases/{case.pk}/sections/protection_concerns/",
                     {"answers": {"urgent_protection_concern": True}, "stamps": read},
                     format="json")
    assert r.status_code == 200
    assert Case.objects.get(pk=case.pk).risk_level == "low"


def test_a_stamp_the_log_does_not_hold_is_a_conflict_not_an_overwrite(cast, api):
    case = make_case(cast.worker, risk_level="low")
    r = api(cast.worker).patch(f"/api/v1/cases/{case.pk}/sections/protection_concerns/",
                               {"answers": {"risk_level": "high"},
                                "stamps": {"risk_level": "forged-stamp"}}, format="json")
    assert r.status_code == 409
    assert r.json()["conflicts"][0]["old_value"] is None
    assert Case.objects.get(pk=case.pk).risk_level == "low"
