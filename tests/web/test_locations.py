from __future__ import annotations

from .helpers import client_for


def test_the_place_autocomplete_returns_a_few_matching_places(cast):
    r = client_for(cast.worker).get("/places/", {"location_current": "Kadio"})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'value="BF-KAD"' in html
    assert html.count("<option") <= 15


def test_the_place_autocomplete_needs_two_letters(cast):
    r = client_for(cast.worker).get("/places/", {"location_current": "K"})
    assert "<option" not in r.content.decode()
