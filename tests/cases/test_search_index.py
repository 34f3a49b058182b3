"""A child is found by their own names and phone, not by the names of people around them."""

from __future__ import annotations

from django.core.management import call_command

from yiri.cases import blind_index
from yiri.cases.models import NameToken
from yiri.cases.search import search_cases
from yiri.cases.services import update_record

from ..conftest import make_case


def found(user, **query):
    return list(search_cases(user, **query).values_list("short_id", flat=True))


def test_a_childs_own_names_and_phone_find_the_case(cast):
    case = make_case(cast.worker, name_nickname="Tipoko", phone="+226 70 12 34 56")
    assert found(cast.worker, q="tipoko") == [case.short_id]
    assert found(cast.worker, phone="70123456") == [case.short_id]


def test_family_caregiver_and_provider_names_do_not_find_the_child(cast):
    case = make_case(cast.worker, name_last="Dao", caregiver_name="Clarisse Kaboré")
    update_record(cast.worker, case, {
        "family_details": [{"relation_name": "Poko Zongo", "relation": "mother"}],
        "services": [{"service_type": "health", "provider_name": "Mariam Bazié"}],
    })
    for name in ("Zongo", "Bazié", "Kaboré"):
        assert found(cast.worker, q=name) == [], name
    assert found(cast.worker, q="Dao") == [case.short_id]


def test_rebuilding_the_index_gives_the_same_tokens(cast):
    case = make_case(cast.worker)
    before = sorted(NameToken.objects.filter(record_id=case.pk).values_list("token", flat=True))
    NameToken.objects.filter(record_id=case.pk).delete()
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))
    after = sorted(NameToken.objects.filter(record_id=case.pk).values_list("token", flat=True))
    assert after == before and blind_index.ring().token(blind_index.WORD, "ouedraogo") in after
