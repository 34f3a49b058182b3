"""Whatever a client sends, the API answers in JSON with a 4xx, never a 500 or an HTML page.

The attack this answers: ``{"answers": {"age": "nan"}}`` passed validation and failed in
the database; JSON nested 2,000 levels deep (4 KB) raised a RecursionError even before
login; ``OPTIONS`` on the list, notes and flags endpoints failed; a 5 MB body got an HTML
error page; unknown API paths got HTML 404s; a bad ``page_size`` was silently accepted."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from yiri.cases.models import Case
from yiri.formconfig.models import Field
from yiri.formconfig.schema import clear_cache

from ..conftest import child_answers, make_case


@pytest.fixture
def unbounded_decimal_age(cast):
    """The age field as an administrator may configure a number: decimals, no bounds."""
    field = Field.objects.get(code="age")
    field.decimals, field.min_value, field.max_value = True, None, None
    field.save()
    clear_cache()


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused_with_a_message(cast, api, value,
                                                               unbounded_decimal_age):
    r = api(cast.worker).post("/api/v1/cases/", {"answers": child_answers(age=value)},
                              format="json")
    assert r.status_code == 400, r.content
    assert r.json()["errors"]["age"] == ["Saisissez un nombre, par exemple 12."]
    assert not Case.objects.exists()


def test_a_bare_nan_in_the_json_is_refused(cast, api, unbounded_decimal_age):
    body = '{"answers": {"name_first": "Awa", "sex": "female", "age": NaN}}'
    r = api(cast.worker).generic("POST", "/api/v1/cases/", body, content_type="application/json")
    assert r.status_code == 400 and "errors" in r.json()
    assert not Case.objects.exists()


def test_json_nested_thousands_of_levels_is_a_400_even_before_login(db):
    deep = "[" * 2000 + "]" * 2000
    for client in (APIClient(),):
        r = client.generic("POST", "/api/v1/auth/token/", deep, content_type="application/json")
        assert r.status_code == 400
        assert r["Content-Type"].startswith("application/json")
        assert "errors" in r.json()


def test_json_nested_deep_inside_answers_is_a_400_for_a_signed_in_user(cast, api):
    deep = '{"answers": {"name_first": ' + '{"a": ' * 1500 + "1" + "}" * 1500 + "}}"
    r = api(cast.worker).generic("POST", "/api/v1/cases/", deep, content_type="application/json")
    assert r.status_code == 400 and "errors" in r.json()


def test_broken_json_is_a_400_with_errors_not_detail(db):
    r = APIClient().generic("POST", "/api/v1/auth/token/", '{"username": ',
                            content_type="application/json")
    assert r.status_code == 400 and set(r.json()) == {"errors"}


def test_options_answers_on_lists_notes_and_flags(cast, api):
    case = make_case(cast.worker)
    client = api(cast.worker)
    for base in ("cases", "incidents", "tracing-requests"):
        for path in (f"/api/v1/{base}/", f"/api/v1/{base}/{case.pk}/notes/",
                     f"/api/v1/{base}/{case.pk}/flags/", f"/api/v1/{base}/{case.pk}/history/"):
            r = client.options(path)
            assert r.status_code < 500 and r["Content-Type"].startswith("application/json"), path


def test_a_body_over_the_limit_is_a_json_413(cast, api, settings):
    big = json.dumps({"answers": {"name_first": "a" * (6 * 1024 * 1024)}})
    r = api(cast.worker).generic("POST", "/api/v1/cases/", big, content_type="application/json")
    assert r.status_code == 413
    assert r["Content-Type"].startswith("application/json") and "errors" in r.json()
    r = APIClient().generic("POST", "/api/v1/auth/token/", big, content_type="application/json")
    assert r.status_code == 413 and "errors" in r.json()


def test_an_unknown_api_path_is_a_json_404(cast, api):
    for client in (APIClient(), api(cast.worker)):
        r = client.get("/api/v1/no-such-thing/")
        assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
        assert "detail" in r.json()
    r = api(cast.worker).get("/api/v1/cases/not-a-uuid/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("size", ["0", "-1", "abc", "101", "1.5", "99999999999999999999"])
def test_a_bad_page_size_is_a_400_naming_it(cast, api, size):
    r = api(cast.worker).get(f"/api/v1/cases/?page_size={size}")
    assert r.status_code == 400
    assert "page_size" in r.json()["errors"]


def test_a_good_page_size_pages(cast, api):
    for _ in range(3):
        make_case(cast.worker)
    r = api(cast.worker).get("/api/v1/cases/?page_size=2")
    assert r.status_code == 200 and len(r.json()["results"]) == 2
