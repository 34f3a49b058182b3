from __future__ import annotations

from yiri.cases.models import Case

from ..conftest import make_case
from .helpers import client_for, text_of


def test_a_search_tolerates_accents_case_and_spelling_variants(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    for typed in ("Ouédraogo", "ouedraogo", "WEDRAOGO", "awa"):
        r = c.post("/search/", {"q": typed})
        assert case.short_id in text_of(r), typed


def test_a_search_by_case_id_phone_sex_and_age(cast):
    case = make_case(cast.worker, phone="+226 70 12 34 56")
    c = client_for(cast.worker)
    assert case.short_id in text_of(c.post("/search/", {"short_id": case.short_id.lower()}))
    assert case.short_id in text_of(c.post("/search/", {"phone": "70123456"}))
    assert case.short_id in text_of(c.post("/search/", {"sex": "female", "age_min": 10, "age_max": 13}))
    assert "Aucun enfant" in text_of(c.post("/search/", {"sex": "male"}))
    assert case.short_id in text_of(c.post("/search/", {"location": "BF-03"}))


def test_names_are_never_put_in_a_url(cast):
    make_case(cast.worker)
    c = client_for(cast.worker)
    page = c.get("/search/").content.decode()
    assert 'method="post"' in page
    r = c.post("/search/", {"q": "Awa"})
    assert "?q=" not in r.content.decode()


def test_registration_is_offered_only_after_a_search_and_prefilled_from_it(cast):
    c = client_for(cast.worker)
    assert "Enregistrer un nouvel enfant" not in text_of(c.get("/search/"))
    r = c.post("/search/", {"q": "Fatou Sawadogo", "sex": "female"})
    assert "Aucun enfant ne correspond" in text_of(r)
    html = r.content.decode()
    assert 'name="prefill_name_first" value="Fatou"' in html
    assert 'name="prefill_name_last" value="Sawadogo"' in html
    form = c.post("/cases/new/", {"prefill_name_first": "Fatou", "prefill_name_last": "Sawadogo",
                                  "prefill_sex": "female"})
    html = form.content.decode()
    assert 'value="Fatou"' in html and 'value="Sawadogo"' in html
    assert '<option value="female" selected>' in html
    assert Case.objects.count() == 0


def test_opening_the_registration_form_directly_sends_back_to_the_search(cast):
    r = client_for(cast.worker).get("/cases/new/")
    assert r.status_code == 302 and r["Location"] == "/search/"


def test_an_empty_search_asks_for_a_criterion(cast):
    r = client_for(cast.worker).post("/search/", {})
    assert r.status_code == 422
    assert "au moins un critère" in text_of(r)


def test_an_outsider_finds_nothing_of_another_agency(cast):
    case = make_case(cast.worker)
    r = client_for(cast.outsider).post("/search/", {"q": "Awa"})
    assert case.short_id not in text_of(r)
    assert "Aucun enfant" in text_of(r)


def test_a_role_without_case_access_cannot_search(cast):
    assert client_for(cast.partner).get("/search/").status_code == 404
