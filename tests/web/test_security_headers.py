"""Pages, exports and the API tell browsers and proxies to keep nothing, and run no script
but the site's own files (Content-Security-Policy).

The attack this answers: case pages, exports and the API sent no ``Cache-Control:
no-store`` and no Content-Security-Policy."""

from __future__ import annotations

import re

from ..api.conftest import client_for as api_client
from ..conftest import make_case
from .helpers import client_for


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_case_pages_exports_and_the_api_are_never_stored(cast):
    case = make_case(cast.worker)
    worker, manager = client_for(cast.worker), client_for(cast.manager)
    for response in (worker.get(f"/cases/{case.pk}/"), worker.get("/cases/"), worker.get("/"),
                     manager.get("/cases/export/"), worker.get(f"/cases/{case.pk}/print/"),
                     api_client(cast.worker).get(f"/api/v1/cases/{case.pk}/"),
                     api_client(cast.worker).get("/api/v1/cases/")):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], response


def test_every_page_carries_a_policy_allowing_only_the_sites_own_scripts(cast):
    case = make_case(cast.worker)
    worker = client_for(cast.worker)
    for response in (worker.get(f"/cases/{case.pk}/"), worker.get("/login/"),
                     worker.get("/admin/login/"), worker.get("/no-such-page/")):
        policy = directives(response)
        assert policy["script-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_pages_have_no_inline_script_for_the_policy_to_block(cast):
    case = make_case(cast.worker)
    worker = client_for(cast.worker)
    for url in ("/", "/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/print/", "/search/"):
        html = worker.get(url).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>", html)
        assert all("src=" in attrs for attrs in scripts), url
        assert not re.search(r"\son[a-z]+=", html), url  # no onclick= and the like
        # htmx adds no <style> of its own (it would be refused without a nonce).
        assert '"includeIndicatorStyles": false' in html or url.endswith("/print/")


def test_the_print_pages_style_carries_the_nonce_of_its_response(cast):
    case = make_case(cast.worker)
    response = client_for(cast.worker).get(f"/cases/{case.pk}/print/")
    nonce = re.search(r"<style nonce=\"([^\"]+)\">", response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["style-src"]
    again = client_for(cast.worker).get(f"/cases/{case.pk}/print/")
    assert nonce not in again["Content-Security-Policy"]  # a new one per response
