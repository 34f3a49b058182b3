"""The offline map: region shapes generated from the shipped outline and capitals cover
the country exactly once, each capital inside its own region; the page draws them with
the sites as links to their pages and names no outside server."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from yiri.directory import geo

from ..web.helpers import client_for
from .data import Directory


def area(poly) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True))) / 2


def inside(point, poly) -> bool:
    x, y = point
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


@pytest.mark.parametrize("country", ["BF", "TG"])
def test_the_regions_cover_the_country_once_each_around_its_capital(country):
    outline = [tuple(p) for p in geo.shapes()["countries"][country]]
    cells = geo.region_shapes(country)
    capitals = {c: (v[1], v[2]) for c, v in geo.shapes()["capitals"].items() if c.startswith(country)}
    assert set(cells) == set(capitals)
    assert sum(area(p) for p in cells.values()) == pytest.approx(area(outline), rel=1e-9)
    for code, poly in cells.items():
        assert inside(capitals[code], poly), code


@pytest.mark.django_db
def test_the_map_page_links_each_placed_site_and_calls_no_outside_server(cast):
    d = Directory(cast)
    html = client_for(cast.worker).get(reverse("directory_map")).content.decode()
    svg = html[html.index("<svg class=\"map\""):html.rindex("</svg>")]
    assert f'href="/directory/sites/{d.telecentre.pk}/"' in svg
    assert f'href="/directory/sites/{d.member.pk}/"' in svg
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", svg)
    assert svg.count('class="map-region') >= 13
    assert svg.count('class="map-province"') == 45


def test_the_provinces_of_burkina_faso_divide_their_regions_exactly():
    import csv

    from yiri.network.services import LOCATIONS_FILE

    with open(LOCATIONS_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    provinces = {r["code"]: r["parent"] for r in rows if r["level"] == "province" and r["code"].startswith("BF-")}
    cells = geo.province_shapes("BF")
    assert set(cells) == set(provinces)  # every province drawn
    for region, poly in geo.region_shapes("BF").items():
        inner = [cells[c] for c, parent in provinces.items() if parent == region]
        assert sum(area(p) for p in inner) == pytest.approx(area(poly), rel=1e-9), region
