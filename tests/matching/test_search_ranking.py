"""The case search forgives spelling and ranks best first, in the same scope as before."""

from __future__ import annotations

from yiri.cases.search import search_cases

from ..api.conftest import client_for
from ..conftest import make_case


def found(user, **query) -> list:
    return list(search_cases(user, **query))


def test_spelling_short_forms_typos_and_swapped_names_find_the_child(cast):
    child = make_case(cast.worker, name_first="Mahamadou", name_last="Ouédraogo")
    make_case(cast.worker, name_first="Issa", name_last="Diallo")
    for typed in ("Madou Wedraogo", "OUEDRAOGO Mamadou", "Mahamadou Ouedrago", "Mohamed Ouédraogo",
                  "Mahamadu Wédraogo", "Mahmadou Ouédraogo"):
        assert found(cast.worker, q=typed) == [child], typed


def test_a_word_that_matches_nothing_leaves_the_child_out(cast):
    make_case(cast.worker, name_first="Awa", name_last="Ouédraogo")
    assert found(cast.worker, q="Issa Ouédraogo") == []


def test_a_name_written_twice_needs_two_name_words(cast):
    twice = make_case(cast.worker, name_first="Kodjo", name_last="Kodjo")
    make_case(cast.worker, name_first="Kodjo", name_last="Mensah")
    assert found(cast.worker, q="Kodjo Kodjo") == [twice]


def test_a_blank_family_name_does_not_hide_the_child(cast):
    alone = make_case(cast.worker, name_first="Aminata", name_last="")
    full = make_case(cast.worker, name_first="Aminata", name_last="Dicko")
    assert found(cast.worker, q="Aminata Dicko") == [full, alone]


def test_the_exact_name_comes_before_variants_and_typos(cast):
    typo = make_case(cast.worker, name_first="Fatimata", name_last="Sawadoko")
    variant = make_case(cast.worker, name_first="Fatoumata", name_last="Sawadogo")
    exact = make_case(cast.worker, name_first="Fatimata", name_last="Sawadogo")
    assert found(cast.worker, q="fatimata sawadogo") == [exact, variant, typo]


def test_a_rare_name_weighs_more_than_a_common_one(cast):
    for first in ("Salif", "Issa", "Moussa", "Adama"):
        make_case(cast.worker, name_first=first, name_last="Ouédraogo")
    rare_right = make_case(cast.worker, name_first="Pabyam", name_last="Wedrago")
    common_right = make_case(cast.worker, name_first="Pabyan", name_last="Ouédraogo")
    # Typed "Pabyam Ouédraogo": the rare given name matches exactly on one, the common
    # family name exactly on the other; the rare word decides.
    assert found(cast.worker, q="Pabyam Ouédraogo")[:2] == [rare_right, common_right]


def test_an_age_given_with_a_name_ranks_the_closest_birth_year_first(cast):
    older = make_case(cast.worker, name_first="Awa", name_last="Zongo", age=15)
    younger = make_case(cast.worker, name_first="Awa", name_last="Zongo", age=9)
    make_case(cast.worker, name_first="Awa", name_last="Zongo", age=3)  # too far: left out
    assert found(cast.worker, q="Awa Zongo", age_min=10, age_max=10) == [younger]
    assert found(cast.worker, q="Awa Zongo", age_min=14, age_max=16) == [older]
    assert set(found(cast.worker, q="Awa Zongo", age_min=8, age_max=16)) == {older, younger}


def test_an_outsider_finds_nothing_and_a_role_without_the_names_cannot_search(cast):
    make_case(cast.worker, name_first="Mahamadou", name_last="Ouédraogo")
    assert found(cast.outsider, q="Madou Wedraogo") == []
    assert found(cast.colleague, q="Madou Wedraogo") == []
    assert found(cast.partner, q="Madou Wedraogo") == []
    r = client_for(cast.outsider).post("/api/v1/cases/search/", {"q": "Madou Wedraogo"}, format="json")
    assert r.status_code == 200 and r.json()["count"] == 0


def test_the_api_and_the_page_take_a_parents_name_only_with_the_childs(cast):
    child = make_case(cast.worker, name_first="Awa", name_last="Zongo",
                      family_details=[{"relation": "father", "relation_name": "Salif Zongo"}])
    make_case(cast.worker, name_first="Awa", name_last="Zongo")
    api = client_for(cast.worker)
    r = api.post("/api/v1/cases/search/", {"q": "Awa Zongo", "parent": "Salif Zongo"}, format="json")
    assert r.status_code == 200 and r.json()["results"][0]["id"] == str(child.pk)
    r = api.post("/api/v1/cases/search/", {"parent": "Salif Zongo"}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["errors"]


def test_the_search_page_ranks_by_a_parents_name_and_refuses_it_alone(cast):
    from ..web.helpers import client_for as web_client
    from ..web.helpers import text_of

    child = make_case(cast.worker, name_first="Awa", name_last="Zongo",
                      family_details=[{"relation": "mother", "relation_name": "Poko Kaboré"}])
    other = make_case(cast.worker, name_first="Awa", name_last="Zongo")
    c = web_client(cast.worker)
    page = text_of(c.post("/search/", {"q": "Awa Zongo", "parent": "Poko Kabore"}))
    assert child.short_id in page and other.short_id in page
    assert page.index(child.short_id) < page.index(other.short_id)
    r = c.post("/search/", {"parent": "Poko Kaboré"})
    assert r.status_code == 422 and "saisissez aussi celui-ci" in text_of(r)
    assert child.short_id not in text_of(r)
    assert "Aucun enfant" in text_of(web_client(cast.outsider).post(
        "/search/", {"q": "Awa Zongo", "parent": "Poko Kaboré"}))
