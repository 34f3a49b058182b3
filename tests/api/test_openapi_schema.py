"""The API describes itself: a valid OpenAPI document, generated without warnings."""

from __future__ import annotations

from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_the_schema_endpoint_returns_valid_openapi(db):
    r = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
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


def test_the_docs_page_uses_local_assets_only(db):
    page = APIClient().get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page
