"""Notes and flags on the record pages, and the flag marker of the case list."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiri.cases.models import Flag, Note
from yiri.cases.notes import add_flag, add_note, remove_flag
from yiri.cases.services import create_record

from ..conftest import make_case
from .helpers import client_for, text_of
from .test_accessibility import unlabelled

HTMX = {"HTTP_HX_REQUEST": "true"}
INCIDENT = {"incident_date": "2026-01-10", "incident_type": ["trafficking"], "survivor_age": 14,
            "survivor_sex": "female", "incident_location": "BF-KAD"}


def test_a_note_is_added_from_the_case_page_without_javascript(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/notes/"' in page and 'id="notes"' in page
    r = c.post(f"/cases/{case.pk}/notes/", {"subject": "Visite", "body": "L'enfant va mieux."})
    assert r.status_code == 302 and r["Location"].endswith(f"/cases/{case.pk}/#notes")
    shown = text_of(c.get(f"/cases/{case.pk}/"))
    assert "Visite" in shown and "L'enfant va mieux." in shown and "Note ajoutée." in shown


def test_a_note_is_added_in_place_with_htmx_newest_first(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Ancienne note")
    r = client_for(cast.worker).post(f"/cases/{case.pk}/notes/", {"body": "Nouvelle note"}, **HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and html.lstrip().startswith('<section class="card notes" id="notes"')
    assert html.index("Nouvelle note") < html.index("Ancienne note")
    assert "(2)" in text_of(r)


def test_an_empty_note_is_refused_next_to_its_field_and_nothing_is_saved(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/notes/", {"subject": "Sans texte", "body": "  "}, **HTMX)
    html = r.content.decode()
    assert r.status_code == 200  # htmx swaps only 2xx answers
    assert 'id="note-body-err" role="alert"' in html
    assert 'aria-describedby="note-body-err note-body-hint"' in html and 'aria-invalid="true"' in html
    assert "Écrivez le texte de la note." in text_of(r)
    assert 'value="Sans texte"' in html  # what was typed is kept
    plain = c.post(f"/cases/{case.pk}/notes/", {"body": "x" * 5001})
    assert plain.status_code == 422
    assert "5000 caractères au plus" in text_of(plain) and 'id="note-body-err"' in plain.content.decode()
    assert "Identité de l'enfant" in text_of(plain)  # the whole page, not a fragment
    assert not Note.objects.exists()


def test_the_notes_part_lists_every_note_on_request(cast):
    case = make_case(cast.worker)
    for i in range(22):
        add_note(cast.worker, case, body=f"Note numéro {i}")
    c = client_for(cast.worker)
    page = text_of(c.get(f"/cases/{case.pk}/"))
    assert "Note numéro 21" in page and "Note numéro 1 " not in page
    assert "Afficher les 22 notes" in page
    everything = c.get(f"/cases/{case.pk}/notes/?all=1", **HTMX)
    assert "Note numéro 0" in text_of(everything)
    assert c.get(f"/cases/{case.pk}/notes/?all=1")["Location"].endswith("?notes=all#notes")


def test_a_flag_is_shown_at_the_top_of_the_case_page_and_lifted_with_a_reason(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/flags/", {"reason": "Risque de représailles"})
    assert r.status_code == 302 and r["Location"].endswith("#flags")
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert "Risque de représailles" in html
    assert html.index("flag-banner") < html.index('id="sec-basic_identity"')
    flag = Flag.objects.get()
    url = f"/cases/{case.pk}/flags/{flag.pk}/remove/"
    refused = c.post(url, {"reason": ""})
    assert refused.status_code == 422
    assert f'id="unflag-{flag.pk}-err" role="alert"' in refused.content.decode()
    assert "Indiquez pourquoi le signalement est levé." in text_of(refused)
    assert not Flag.objects.get().removed
    assert c.post(url, {"reason": "Famille relogée"}).status_code == 302
    after = c.get(f"/cases/{case.pk}/").content.decode()
    assert "flag-banner" not in after
    assert "1 signalement levé" in text_of(c.get(f"/cases/{case.pk}/"))
    assert "Famille relogée" in after


def test_flags_are_added_and_refused_in_place_with_htmx(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    bad = c.post(f"/cases/{case.pk}/flags/", {"reason": " "}, **HTMX)
    html = bad.content.decode()
    assert bad.status_code == 200 and html.lstrip().startswith('<div class="flags" id="flags">')
    assert 'id="flag-reason-err" role="alert"' in html and "<details class=\"card flag-add\" open>" in html
    assert not Flag.objects.exists()
    ok = c.post(f"/cases/{case.pk}/flags/", {"reason": "Ne pas contacter la famille"}, **HTMX)
    assert "flag-banner" in ok.content.decode() and "Ne pas contacter la famille" in text_of(ok)


def test_flagged_cases_are_marked_in_the_case_list_with_one_query_for_the_page(cast):
    cases = [make_case(cast.worker) for _ in range(4)]
    c = client_for(cast.worker)

    def flag_queries():
        with CaptureQueriesContext(connection) as ctx:
            r = c.get("/cases/")
        return r, [q for q in ctx.captured_queries if "cases_flag" in q["sql"]]

    add_flag(cast.worker, cases[0], reason="A")
    r, one = flag_queries()
    assert text_of(r).count("Signalé") == 1
    for case in cases[1:]:
        add_flag(cast.worker, case, reason="B")
    r, still_one = flag_queries()
    assert text_of(r).count("Signalé") == 4
    assert len(one) == len(still_one) == 1
    assert "Signalé" in text_of(c.get("/"))  # the home page's tables too


def test_outsiders_are_refused_every_notes_and_flags_url(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Secret")
    flag = add_flag(cast.worker, case, reason="Risque")
    base = f"/cases/{case.pk}"
    for who in (cast.outsider, cast.colleague):
        c = client_for(who)
        assert c.get(f"{base}/notes/").status_code == 404
        assert c.get(f"{base}/notes/", **HTMX).status_code == 404
        assert c.post(f"{base}/notes/", {"body": "Intrus"}).status_code == 404
        assert c.post(f"{base}/flags/", {"reason": "Intrus"}).status_code == 404
        assert c.post(f"{base}/flags/{flag.pk}/remove/", {"reason": "Intrus"}).status_code == 404
    assert Note.objects.count() == 1 and not Flag.objects.get().removed


def test_a_flag_is_lifted_only_from_its_own_record(cast):
    case, other = make_case(cast.worker), make_case(cast.worker)
    flag = add_flag(cast.worker, case, reason="Risque")
    r = client_for(cast.worker).post(f"/cases/{other.pk}/flags/{flag.pk}/remove/", {"reason": "x"})
    assert r.status_code == 404 and not Flag.objects.get().removed


def test_a_read_only_role_sees_notes_and_flags_but_is_offered_no_form_and_refused(cast):
    case = make_case(cast.worker)
    add_note(cast.worker, case, body="Visite faite")
    add_flag(cast.worker, case, reason="Risque de représailles")
    c = client_for(cast.relay)
    r = c.get(f"/cases/{case.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "Visite faite" in html and "Risque de représailles" in html
    assert f'action="/cases/{case.pk}/notes/"' not in html
    assert f'action="/cases/{case.pk}/flags/' not in html
    assert c.post(f"/cases/{case.pk}/notes/", {"body": "Non"}).status_code == 403
    assert c.post(f"/cases/{case.pk}/flags/", {"reason": "Non"}).status_code == 403
    flag = Flag.objects.get()
    assert c.post(f"/cases/{case.pk}/flags/{flag.pk}/remove/", {"reason": "Non"}).status_code == 403
    assert Note.objects.count() == 1 and not Flag.objects.get().removed


def test_incident_pages_have_notes_and_flags_too(cast):
    incident = create_record(cast.worker, "incident", INCIDENT)
    c = client_for(cast.worker)
    assert c.post(f"/incidents/{incident.pk}/notes/", {"body": "Témoignage"}).status_code == 302
    assert c.post(f"/incidents/{incident.pk}/flags/", {"reason": "Auteur proche"}).status_code == 302
    page = text_of(c.get(f"/incidents/{incident.pk}/"))
    assert "Témoignage" in page and "Auteur proche" in page
    assert "Signalé" in text_of(c.get("/incidents/"))
    assert client_for(cast.outsider).post(f"/incidents/{incident.pk}/notes/",
                                          {"body": "x"}).status_code == 404


def test_every_input_of_notes_and_flags_has_a_label(cast):
    case = make_case(cast.worker)
    flag = add_flag(cast.worker, case, reason="Risque")
    lifted = add_flag(cast.worker, case, reason="Ancien")
    remove_flag(cast.worker, lifted, reason="Fini")
    c = client_for(cast.worker)
    for r in (c.get(f"/cases/{case.pk}/"), c.post(f"/cases/{case.pk}/notes/", {"body": ""}),
              c.post(f"/cases/{case.pk}/flags/{flag.pk}/remove/", {"reason": ""})):
        html = r.content.decode()
        assert 'for="note-body"' in html and 'for="flag-reason"' in html
        assert f'for="unflag-{flag.pk}"' in html
        assert unlabelled(html) == []
