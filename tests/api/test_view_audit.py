"""Opening a case through the API is written to the audit log; listing is not a view."""

from __future__ import annotations

from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import make_case


def views_of(case):
    return AuditEvent.objects.filter(action=AuditAction.VIEW, record_id=case.pk)


def test_opening_a_case_records_who_viewed_it(cast, api):
    case = make_case(cast.worker)
    api(cast.manager).get(f"/api/v1/cases/{case.pk}/", REMOTE_ADDR="10.1.2.3")
    event = views_of(case).get()
    assert (event.user, event.record_type, event.ip) == (cast.manager, "case", "10.1.2.3")


def test_reading_the_history_is_recorded_as_a_view(cast, api):
    case = make_case(cast.worker)
    api(cast.worker).get(f"/api/v1/cases/{case.pk}/history/")
    assert views_of(case).get().details == {"part": "history"}


def test_a_refused_open_records_no_view(cast, api):
    case = make_case(cast.worker)
    assert api(cast.outsider).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert not views_of(case).exists()


def test_a_list_records_no_view(cast, api):
    case = make_case(cast.worker)
    api(cast.worker).get("/api/v1/cases/")
    assert not views_of(case).exists()
