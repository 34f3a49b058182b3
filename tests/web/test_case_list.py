from __future__ import annotations

from yiri.cases.models import RecordShare
from yiri.cases.services import update_record

from ..conftest import make_case
from .helpers import PAGE_BUDGET, client_for, text_of


def test_the_case_list_shows_only_visible_cases(cast):
    mine = make_case(cast.worker)
    theirs = make_case(cast.outsider, location_current="TG")
    page = text_of(client_for(cast.worker).get("/cases/"))
    assert mine.short_id in page and theirs.short_id not in page
    outsider_page = text_of(client_for(cast.outsider).get("/cases/"))
    assert mine.short_id not in outsider_page and theirs.short_id in outsider_page


def test_the_case_list_filters_by_risk_sex_age_concern_location_and_owner(cast):
    girl = make_case(cast.worker)
    boy = make_case(cast.worker, name_first="Issa", sex="male", age=16)
    update_record(cast.worker, girl, {"risk_level": "high", "protection_concerns": ["trafficked"]})
    c = client_for(cast.worker)

    def listed(**params):
        page = text_of(c.get("/cases/", params))
        return {case.short_id for case in (girl, boy) if case.short_id in page}

    assert listed(risk="high") == {girl.short_id}
    assert listed(sex="male") == {boy.short_id}
    assert listed(age="15-17") == {boy.short_id}
    assert listed(age="12-14") == {girl.short_id}
    assert listed(concern="trafficked") == {girl.short_id}
    assert listed(location="BF-03") == {girl.short_id, boy.short_id}
    assert listed(location="TG") == set()
    assert listed(owner="me", stage="new", sort="name") == {girl.short_id, boy.short_id}


def test_the_case_list_pages_and_caps_its_count(cast):
    for _ in range(27):
        make_case(cast.worker)
    c = client_for(cast.worker)
    first = c.get("/cases/")
    assert "1 à 25 sur 27" in text_of(first)
    assert 'rel="next"' in first.content.decode()
    assert "26 à 27 sur 27" in text_of(c.get("/cases/", {"page": 2}))
    assert len(first.content) < PAGE_BUDGET


def test_a_supervisor_assigns_several_cases_at_once(cast):
    a, b = make_case(cast.worker), make_case(cast.worker)
    c = client_for(cast.manager)
    page = c.get("/cases/").content.decode()
    assert 'form="bulk-assign"' in page
    r = c.post("/cases/assign/", {"cases": [str(a.pk), str(b.pk)], "assignee": str(cast.colleague.pk)})
    assert r.status_code == 302
    assert RecordShare.objects.filter(user=cast.colleague, kind="assigned").count() == 2


def test_a_case_worker_cannot_assign(cast):
    a = make_case(cast.worker)
    c = client_for(cast.worker)
    assert 'form="bulk-assign"' not in c.get("/cases/").content.decode()
    r = c.post("/cases/assign/", {"cases": [str(a.pk)], "assignee": str(cast.colleague.pk)})
    assert r.status_code == 403  # sees the case, may not assign it
    assert not RecordShare.objects.filter(user=cast.colleague).exists()


def test_an_outsider_cannot_assign_a_case_they_do_not_see(cast):
    a = make_case(cast.worker)
    cast.outsider.role = cast.manager.role
    cast.outsider.save()
    c = client_for(cast.outsider)
    r = c.post("/cases/assign/", {"cases": [str(a.pk)], "assignee": str(cast.outsider.pk)})
    assert r.status_code == 404
    assert c.post(f"/cases/{a.pk}/assign/", {"assignee": str(cast.outsider.pk)}).status_code == 404
    assert not RecordShare.objects.filter(record_id=a.pk).exists()


def test_incident_and_tracing_lists_are_scoped(cast):
    from yiri.cases.services import create_record

    tr = create_record(cast.worker, "tracing_request", {
        "inquiry_date": "2026-01-02", "tracing_request_status": "open",
        "inquirer_name_first": "Mariam"})
    assert tr.short_id in text_of(client_for(cast.worker).get("/tracing/"))
    assert tr.short_id not in text_of(client_for(cast.outsider).get("/tracing/"))
    assert client_for(cast.outsider).get(f"/tracing/{tr.pk}/").status_code == 404


def test_the_overdue_filter_keeps_cases_whose_plan_is_late(cast):
    late = make_case(cast.worker)
    update_record(cast.worker, late, {"case_plan_due_date": "2026-01-01"})
    on_time = make_case(cast.worker)
    page = text_of(client_for(cast.worker).get("/cases/", {"overdue": "on"}))
    assert late.short_id in page and on_time.short_id not in page
