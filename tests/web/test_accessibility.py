"""Every input has a label, on every page a case worker or a supervisor uses."""

from __future__ import annotations

from html.parser import HTMLParser

from yiri.workflow.services import request_approval

from ..conftest import make_case
from .helpers import client_for


class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "_tag": tag, "_wrapped": self.in_label > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def unlabelled(html: str) -> list[dict]:
    p = Inputs()
    p.feed(html)
    return [c for c in p.controls
            if not c["_wrapped"] and c.get("id") not in p.label_for and not c.get("aria-label")]


def test_every_input_of_the_main_pages_has_a_label(cast):
    case = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True)
    request_approval(cast.worker, case, "assessment")
    worker, manager = client_for(cast.worker), client_for(cast.manager)
    pages = [
        (worker, "get", "/", None), (worker, "get", "/search/", None),
        (worker, "post", "/search/", {"q": "Awa"}),
        (worker, "post", "/cases/new/", {"prefill_name_first": "Awa"}),
        (worker, "get", f"/cases/{case.pk}/", None),
        (worker, "get", f"/cases/{case.pk}/?row=services:new", None),
        (worker, "get", f"/cases/{case.pk}/history/", None),
        (manager, "get", "/cases/", None), (manager, "get", f"/cases/{case.pk}/", None),
        (worker, "post", "/incidents/new/", {"case": str(case.pk)}),
    ]
    for section in ("basic_identity", "consent", "protection_concerns", "trafficking", "assessment",
                    "case_plan", "care_plan", "tracing", "closure"):
        pages.append((worker, "get", f"/cases/{case.pk}/?edit={section}", None))
    for client, method, url, data in pages:
        r = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert r.status_code == 200, url
        assert unlabelled(r.content.decode()) == [], url


def test_the_login_page_has_labels_and_announces_errors(db):
    from django.test import Client

    r = Client().post("/login/", {"username": "x", "password": "y"})
    html = r.content.decode()
    assert unlabelled(html) == []
    assert 'role="alert"' in html and 'aria-describedby="login-error"' in html
