"""With a name, the sex, the place and a parent's name rank the results; they hide no
child that may be the one (a record without the sex, a neighbouring village, a typo in
the parent's name), in the scope of the user as before."""

from __future__ import annotations

from yiri.cases.search import search_cases

from ..conftest import make_case


def found(user, **query) -> list:
    return list(search_cases(user, **query))


def test_the_nearest_place_comes_first_and_a_neighbouring_village_is_still_found(cast):
    far = make_case(cast.worker, name_first="Awa", name_last="Zongo", location_current="BF-BAL-C01-V01")
    commune = make_case(cast.worker, name_first="Awa", name_last="Zongo", location_current="BF-KAD-C01")
    neighbour = make_case(cast.worker, name_first="Awa", name_last="Zongo",
                          location_current="BF-KAD-C01-V02")
    same = make_case(cast.worker, name_first="Awa", name_last="Zongo", location_current="BF-KAD-C01-V01")
    assert found(cast.worker, q="Awa Zongo", location="BF-KAD-C01-V01") == [same, commune, neighbour, far]


def test_without_a_name_the_place_still_filters(cast):
    make_case(cast.worker, name_first="Awa", name_last="Zongo", location_current="BF-BAL-C01-V01")
    here = make_case(cast.worker, name_first="Awa", name_last="Zongo", location_current="BF-KAD-C01-V01")
    assert found(cast.worker, location="BF-KAD-C01-V01") == [here]


def test_an_unknown_place_code_finds_nothing(cast):
    make_case(cast.worker, name_first="Awa", name_last="Zongo")
    assert found(cast.worker, q="Awa Zongo", location="XX-NOWHERE") == []


def test_a_record_without_the_sex_is_kept_after_the_same_sex_and_the_other_sex_is_not(cast):
    unknown = make_case(cast.worker, name_first="Kossi", name_last="Mensah", sex="unknown")
    girl = make_case(cast.worker, name_first="Kossi", name_last="Mensah", sex="female")
    boy = make_case(cast.worker, name_first="Kossi", name_last="Mensah", sex="male")
    assert found(cast.worker, q="Kossi Mensah", sex="male") == [boy, unknown]
    assert girl in found(cast.worker, q="Kossi Mensah")


def test_a_parents_name_with_a_typo_still_ranks_the_child_first(cast):
    other = make_case(cast.worker, name_first="Awa", name_last="Zongo",
                      family_details=[{"relation": "mother", "relation_name": "Poko Kaboré"}])
    child = make_case(cast.worker, name_first="Awa", name_last="Zongo",
                      family_details=[{"relation": "mother", "relation_name": "Rasmata Tapsoba"}])
    assert found(cast.worker, q="Awa Zongo", parent="Rasmatta Tapsouba") == [child, other]


def test_an_outsider_finds_nothing_with_every_hint_given(cast):
    make_case(cast.worker, name_first="Awa", name_last="Zongo", location_current="BF-KAD-C01-V01",
              family_details=[{"relation": "mother", "relation_name": "Poko Kaboré"}])
    assert found(cast.outsider, q="Awa Zongo", sex="female", location="BF-KAD-C01-V01",
                 parent="Poko Kaboré", age_min=12, age_max=12) == []
