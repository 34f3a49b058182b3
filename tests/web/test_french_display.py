"""Pages read as French: counts with the right plural, numbers "5 000" and "12,5", ages in
years ("12 ans", never "12 M" that reads as months) and the sex in its own column."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation

from yiri.formconfig.schema import FieldDef, get_schema
from yiri.web.answers import Widget, format_value
from yiri.web.templatetags.yiri_web import number, years

from ..conftest import make_case
from .helpers import client_for, text_of

NBSP = "\xa0"  # Django's French thousands separator: a no-break space (never wraps)


def test_a_search_without_result_says_aucun_dossier_trouve(cast):
    page = text_of(client_for(cast.worker).post("/search/", {"q": "Personne Inconnu"}))
    assert "Aucun dossier trouvé" in page and "0 dossier" not in page


def test_one_result_is_singular_and_two_are_plural(cast):
    make_case(cast.worker)
    c = client_for(cast.worker)
    assert "1 dossier trouvé" in text_of(c.post("/search/", {"q": "Awa"}))
    make_case(cast.worker)
    assert "2 dossiers trouvés" in text_of(c.post("/search/", {"q": "Awa"}))


def test_numbers_are_written_the_french_way():
    assert number(5000) == f"5{NBSP}000"
    assert number(1000) == f"1{NBSP}000"
    assert number(12.5) == "12,5"
    assert number(12.0) == "12"
    with translation.override("en"):
        assert number(5000) == "5,000"


def test_ages_are_written_in_years():
    assert [years(a) for a in (0, 1, 12)] == ["moins d'un an", "1 an", "12 ans"]
    assert years(None) == ""


def test_the_case_list_shows_the_age_in_years_and_the_sex_in_words(cast):
    birth = timezone.localdate() - dt.timedelta(days=365 * 12 + 40)
    make_case(cast.worker, date_of_birth=birth.isoformat(),
              registration_date=timezone.localdate().isoformat())
    html = client_for(cast.worker).get("/cases/").content.decode()
    assert "<td>12 ans</td>" in html and "<td>Féminin</td>" in html
    assert '<th scope="col">Sexe</th>' in html
    assert " F</td>" not in html


def test_a_decimal_answer_is_shown_with_a_comma_but_edited_with_a_point(db):
    schema = get_schema("case")
    f = FieldDef(code="weight_kg", type="number", label_fr="Poids", label_en="Weight", section="x")
    assert format_value(schema, f, 12.5, {}) == "12,5"
    assert format_value(schema, f, 2010, {}) == "2010"  # a year is not "2 010"
    assert Widget(f, 12.5).text_value == "12.5"  # an <input type="number"> needs the point
