"""Sorting the case list by name without a name column: the names of a filtered list of at
most ``NAME_SORT_LIMIT`` cases are read through the codec; a longer list says so in French
and keeps its order by last change. A name the user may not read is never sorted on."""

from __future__ import annotations

import re

from yiri.web import listing

from ..conftest import make_case, referred_case
from .helpers import client_for, text_of


def order_on_page(html: str, cases) -> list[str]:
    ids = [c.short_id for c in cases]
    return sorted((i for i in ids if i in html), key=html.index)


def test_the_list_sorted_by_name_goes_from_a_to_z_by_last_then_first_name(cast):
    zongo = make_case(cast.worker, name_first="Awa", name_last="Zongo")
    barry_s = make_case(cast.worker, name_first="Salif", name_last="Barry")
    ouedraogo = make_case(cast.worker, name_first="Issa", name_last="Ouédraogo")
    barry_a = make_case(cast.worker, name_first="Aminata", name_last="Barry")
    html = client_for(cast.worker).get("/cases/", {"sort": "name"}).content.decode()
    assert order_on_page(html, [zongo, barry_s, ouedraogo, barry_a]) == [
        barry_a.short_id, barry_s.short_id, ouedraogo.short_id, zongo.short_id]
    assert "ne peuvent pas être triés par nom" not in text_of_html(html)
    by_update = client_for(cast.worker).get("/cases/").content.decode()
    assert order_on_page(by_update, [zongo, barry_s, ouedraogo, barry_a])[0] == barry_a.short_id


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pages_of_a_name_sorted_list_follow_each_other(cast):
    cases = [make_case(cast.worker, name_last=f"Nom{chr(ord('a') + i // 26)}{chr(ord('a') + i % 26)}")
             for i in range(27)]
    c = client_for(cast.worker)
    first = c.get("/cases/", {"sort": "name"})
    second = c.get("/cases/", {"sort": "name", "page": 2})
    assert "1 à 25 sur 27" in text_of(first) and "26 à 27 sur 27" in text_of(second)
    assert order_on_page(first.content.decode(), cases) == [x.short_id for x in cases[:25]]
    assert order_on_page(second.content.decode(), cases) == [x.short_id for x in cases[25:]]


def test_a_list_too_long_to_sort_by_name_says_so_and_keeps_every_case(cast, monkeypatch):
    monkeypatch.setattr(listing, "NAME_SORT_LIMIT", 2)
    cases = [make_case(cast.worker, name_last=n) for n in ("Zongo", "Barry", "Kaboré")]
    r = client_for(cast.worker).get("/cases/", {"sort": "name"})
    page = text_of(r)
    assert r.status_code == 200
    assert "Plus de 2 dossiers : ils ne peuvent pas être triés par nom" in page
    assert order_on_page(r.content.decode(), cases) == [c.short_id for c in reversed(cases)]
    narrowed = client_for(cast.worker).get("/cases/", {"sort": "name", "risk": "high"})
    assert "ne peuvent pas être triés" not in text_of(narrowed)


def test_the_outsider_sorting_by_name_sees_none_of_the_workers_cases(cast):
    mine = make_case(cast.worker, name_last="Barry")
    theirs = make_case(cast.outsider, name_last="Zongo", location_current="TG")
    page = text_of(client_for(cast.outsider).get("/cases/", {"sort": "name"}))
    assert theirs.short_id in page and mine.short_id not in page and "Barry" not in page


def test_a_case_whose_name_the_user_may_not_read_is_not_sorted_by_it(cast):
    """The provider reads the name of a case referred with the identity section, not of
    one referred without it: that one comes after, and its name decides nothing."""
    named, _, _ = referred_case(cast, name_last="Zongo")
    hidden, _, _ = referred_case(cast, sections=["services_section"], name_last="Aaba")  # newer
    page = client_for(cast.provider).get("/cases/", {"sort": "name"}).content.decode()
    assert order_on_page(page, [hidden, named]) == [named.short_id, hidden.short_id]
    assert "Zongo" in page and "Aaba" not in page
