"""The API describes itself: a valid OpenAPI document, generated without warnings."""

from __future__ import annotations

from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_the_schema_and_the_docs_need_a_sign_in(db):
    for path in ("/api/schema/", "/api/docs/", "/api/docs/?script"):
        r = APIClient().get(path)
        assert r.status_code in (401, 403), path


def test_the_schema_endpoint_returns_valid_openapi(cast, api):
    r = api(cast.worker).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    schema = r.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/cases/", "/api/v1/cases/search/", "/api/v1/cases/{id}/history/",
                 "/api/v1/cases/{id}/sections/{section_code}/", "/api/v1/incidents/{id}/",
                 "/api/v1/tracing-requests/", "/api/v1/forms/{record_type}/", "/api/v1/lookups/",
                 "/api/v1/locations/", "/api/v1/agencies/", "/api/v1/users/{id}/",
                 "/api/v1/auth/token/"):
        assert path in schema["paths"], path
    assert "get" not in schema["paths"]["/api/v1/cases/search/"]


def test_the_schema_generates_without_a_single_warning(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_the_docs_page_uses_local_assets_only_and_no_inline_script(cast):
    from ..web.helpers import client_for

    client = client_for(cast.worker)  # a browser signed in on the site
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
    assert "<script>" not in page  # the set-up script is a file (Content-Security-Policy)
    init = client.get("/api/docs/?script")
    assert init.status_code == 200 and b"SwaggerUIBundle" in init.content
