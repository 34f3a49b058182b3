"""The location hierarchy of Burkina Faso and Togo is loaded from its data file."""

from __future__ import annotations

import pytest

from yiri.network.models import Location
from yiri.network.services import load_locations


def count(country, level):
    return Location.objects.filter(path__startswith=f"{country}/", level=level).count()


def test_burkina_faso_has_its_13_regions_and_45_provinces(db):
    assert (count("BF", "region"), count("BF", "province")) == (13, 45)
    assert Location.objects.get(code="BF-KAD").name == "Kadiogo"
    assert Location.objects.get(code="BF-KAD").parent.name == "Centre"


def test_togo_has_its_5_regions_and_39_prefectures(db):
    assert (count("TG", "region"), count("TG", "province")) == (5, 39)
    assert {"Golfe", "Agoè-Nyivé", "Kozah", "Tône"} <= set(
        Location.objects.filter(level="province", path__startswith="TG/").values_list("name", flat=True))


def test_every_place_sits_under_a_parent_one_level_up(db):
    levels = ["country", "region", "province", "commune", "village"]
    for loc in Location.objects.select_related("parent"):
        if loc.parent:
            assert levels.index(loc.parent.level) == levels.index(loc.level) - 1


def test_within_gives_a_place_and_everything_below_it(db):
    kadiogo = Location.objects.get(code="BF-KAD")
    below = Location.objects.within(kadiogo)
    assert kadiogo in below and below.filter(level="village").exists()
    assert not below.filter(path__startswith="TG/").exists()


def test_loading_twice_changes_nothing(db):
    before = Location.objects.count()
    load_locations()
    assert Location.objects.count() == before


def test_a_file_with_an_unknown_parent_is_refused_and_loads_nothing(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,parent,level,name\nZZ,,country,Nowhere\nZZ-1,ZZ-404,region,Lost\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ligne 3: parent inconnu 'ZZ-404'"):
        load_locations(bad)
    assert not Location.objects.filter(code="ZZ").exists()
