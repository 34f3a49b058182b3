"""A change made on an old version is refused with 409 instead of overwriting."""

from __future__ import annotations

from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.sync.models import Operation

from ..conftest import make_case


def test_a_change_on_an_old_version_is_a_409_and_saves_nothing(cast, api):
    case = make_case(cast.worker)
    loaded_version = case.version
    update_record(cast.manager, case, {"risk_level": "low"})  # someone else, meanwhile
    before = Operation.objects.filter(entity_id=case.pk).count()
    r = api(cast.worker).patch(f"/api/v1/cases/{case.pk}/sections/protection_concerns/",
                               {"answers": {"risk_level": "high"}, "version": loaded_version},
                               format="json")
    assert r.status_code == 409
    assert "modifié par quelqu'un d'autre" in r.json()["detail"]
    stored = Case.objects.get(pk=case.pk)
    assert stored.risk_level == "low" and stored.version == loaded_version + 1
    assert Operation.objects.filter(entity_id=case.pk).count() == before


def test_the_version_returned_by_a_change_is_the_one_to_send_next(cast, api):
    case = make_case(cast.worker)
    client = api(cast.worker)
    section = f"/api/v1/cases/{case.pk}/sections/protection_concerns/"
    first = client.patch(section, {"answers": {"risk_level": "high"}, "version": case.version},
                         format="json").json()
    second = client.patch(section, {"answers": {"risk_level": "low"}, "version": first["version"]},
                          format="json")
    assert second.status_code == 200
    assert second.json()["risk_level"] == "low"
