from __future__ import annotations

from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.formconfig.schema import get_schema

from ..conftest import make_case
from .helpers import PAGE_BUDGET, client_for, text_of

HTMX = {"HTTP_HX_REQUEST": "true"}


def answers(case):
    return read_answers(Case.objects.get(pk=case.pk), get_schema("case"))


def test_the_case_page_shows_every_readable_section_with_french_labels(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).get(f"/cases/{case.pk}/")
    page = text_of(r)
    assert r.status_code == 200
    for label in ("Identité de l'enfant", "Consentement et confidentialité", "Évaluation",
                  "Services", "Clôture du dossier", "Étape", "Nouveau", "Prénom(s)", "Awa"):
        assert label in page, label
    assert "Kadiogo" in page  # a place shown by its name, not its code


def test_the_case_page_is_light(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).get(f"/cases/{case.pk}/")
    assert len(r.content) < PAGE_BUDGET


def test_outsiders_are_refused_every_record_url(cast):
    case = make_case(cast.worker)
    c = client_for(cast.outsider)
    base = f"/cases/{case.pk}"
    for url in (f"{base}/", f"{base}/history/", f"{base}/section/basic_identity/",
                f"{base}/section/basic_identity/?edit=1"):
        assert c.get(url).status_code == 404, url
    assert c.post(f"{base}/section/basic_identity/", {"name_first": "X"}).status_code == 404
    assert c.post(f"{base}/section/services_section/rows/services/",
                  {"service_type": "health"}).status_code == 404
    assert answers(case)["name_first"] == "Awa"


def test_a_section_is_saved_by_a_plain_post(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/section/protection_concerns/", {
        "version": case.version, "risk_level": "high", "protection_concerns": ["trafficked", "other"],
        "other_concern_details": "Travail sur un site d'orpaillage",
    })
    assert r.status_code == 302
    saved = answers(case)
    assert saved["risk_level"] == "high"
    assert saved["protection_concerns"] == ["trafficked", "other"]
    assert Case.objects.get(pk=case.pk).risk_level == "high"


def stamps_in(html: str) -> str:
    import html as html_lib
    import re

    return html_lib.unescape(re.search(r'name="stamps" value="([^"]*)"', html).group(1))


def test_a_section_is_edited_in_place_with_htmx(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    form = c.get(f"/cases/{case.pk}/section/basic_identity/?edit=1", **HTMX)
    html = form.content.decode()
    assert html.lstrip().startswith("<section")
    assert 'hx-post="/cases/' in html and 'name="stamps"' in html
    r = c.post(f"/cases/{case.pk}/section/basic_identity/", {
        "stamps": stamps_in(html), "name_first": "Awa", "name_last": "Ouédraogo", "sex": "female",
        "age": "13", "registration_date": "2026-01-15", "location_current": "BF-KAD",
    }, **HTMX)
    assert r.status_code == 200 and "<form" not in r.content.decode()
    assert answers(case)["age"] == 13


def test_a_validation_error_is_shown_next_to_its_field_and_nothing_is_saved(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    r = c.post(f"/cases/{case.pk}/section/basic_identity/", {
        "version": case.version, "name_first": "Awa", "sex": "female", "age": "99",
        "registration_date": "2026-01-15",
    }, **HTMX)
    html = r.content.decode()
    assert r.status_code == 200  # htmx swaps only 2xx answers
    assert 'id="f-basic_identity-age-err"' in html
    assert 'aria-describedby="f-basic_identity-age-err' in html
    assert "Saisissez un nombre entre" in text_of(r)
    assert answers(case)["age"] == 12
    plain = c.post(f"/cases/{case.pk}/section/basic_identity/", {
        "version": case.version, "name_first": "", "sex": "female", "age": "12",
        "registration_date": "2026-01-15",
    })
    assert plain.status_code == 422
    assert 'id="f-basic_identity-name_first-err"' in plain.content.decode()
    assert answers(case)["name_first"] == "Awa"


def test_a_form_without_stamps_cannot_overwrite_a_value_written_meanwhile(cast):
    case = make_case(cast.worker)
    update_record(cast.manager, case, {"risk_level": "low"})
    r = client_for(cast.worker).post(f"/cases/{case.pk}/section/protection_concerns/", {
        "version": case.version, "risk_level": "high",
    }, **HTMX)
    assert "Quelqu'un d'autre a modifié ces champs" in text_of(r)
    assert answers(case)["risk_level"] == "low"


def test_subform_rows_are_added_edited_and_removed_inline(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    url = f"/cases/{case.pk}/section/services_section/rows/services/"
    new = c.get(f"/cases/{case.pk}/section/services_section/?row=services:new", **HTMX)
    assert "Type de service" in text_of(new)
    bad = c.post(url, {"version": case.version, "service_notes": "rien"}, **HTMX)
    assert 'id="f-services-new-service_type-err"' in bad.content.decode()
    assert not answers(case).get("services")
    c.post(url, {"version": case.version, "service_type": "health", "response_type": "care_plan"},
           **HTMX)
    (row,) = answers(case)["services"]
    version = Case.objects.get(pk=case.pk).version
    edit = c.get(f"/cases/{case.pk}/section/services_section/?row=services:{row['_id']}", **HTMX)
    assert f'name="_id" value="{row["_id"]}"' in edit.content.decode()
    c.post(url, {"version": version, "_id": row["_id"], "service_type": "health",
                 "implemented": "true", "implemented_on": "2026-02-01"}, **HTMX)
    assert answers(case)["services"][0]["implemented"] is True
    version = Case.objects.get(pk=case.pk).version
    c.post(url, {"version": version, "_id": row["_id"], "_deleted": "true"}, **HTMX)
    assert answers(case)["services"][0].get("_deleted") is True
    assert "Aucune ligne" in text_of(c.get(f"/cases/{case.pk}/"))


def test_fields_shown_only_under_a_condition_say_so_to_the_page_script(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).get(f"/cases/{case.pk}/section/consent/?edit=1", **HTMX)
    html = r.content.decode()
    assert 'data-show-if="disclosure_other_orgs" data-show-value="true"' in html


def test_a_service_provider_reads_only_the_sections_their_role_allows(cast):
    from yiri.cases.services import assign_record

    case = make_case(cast.worker)
    assign_record(cast.manager, case, cast.provider)
    r = client_for(cast.provider).get(f"/cases/{case.pk}/")
    page = text_of(r)
    assert "Services" in page and "Identité de l'enfant" in page
    sections = page.split("Historique des modifications", 1)[1]  # past the stage bar
    assert "Évaluation" not in sections and "Traite et exploitation" not in sections
    c = client_for(cast.provider)
    assert c.get(f"/cases/{case.pk}/section/assessment/?edit=1").status_code == 404
    r = c.post(f"/cases/{case.pk}/section/basic_identity/", {"name_first": "X", "version": 1})
    assert "Vous ne pouvez pas modifier" in text_of(r)
    assert answers(case)["name_first"] == "Awa"


def test_the_change_history_shows_each_field_change(cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"risk_level": "high"})
    update_record(cast.worker, case, {"name_first": "Aïcha"})
    c = client_for(cast.worker)
    page = text_of(c.get(f"/cases/{case.pk}/history/"))
    assert "Niveau de risque" in page and "Élevé" in page
    assert "Aïcha" in page  # identifying values to a reader of the section
    only = text_of(c.get(f"/cases/{case.pk}/history/?field=risk_level"))
    assert "Élevé" in only and "Aïcha" not in only


def test_the_history_hides_fields_of_sections_the_reader_may_not_read(cast):
    from yiri.cases.services import assign_record

    case = make_case(cast.worker)
    update_record(cast.worker, case, {"assessment_summary": "Très confidentiel"})
    assign_record(cast.manager, case, cast.provider)
    page = text_of(client_for(cast.provider).get(f"/cases/{case.pk}/history/"))
    assert "Très confidentiel" not in page


def test_an_english_speaking_user_reads_the_case_page_in_english(cast):
    case = make_case(cast.worker)
    c = client_for(cast.worker)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text_of(c.get(f"/cases/{case.pk}/"))
    assert "Case workflow" in page and "Stage" in page and "Edit" in page
    assert "Circuit du dossier" not in page and "Modifier" not in page


def test_the_history_of_one_section(cast):
    case = make_case(cast.worker)
    update_record(cast.worker, case, {"risk_level": "high"})
    c = client_for(cast.worker)
    assert "?section=protection_concerns" in c.get(f"/cases/{case.pk}/").content.decode()
    page = text_of(c.get(f"/cases/{case.pk}/history/?section=protection_concerns"))
    table = page.split("Après", 1)[1]
    assert "Niveau de risque" in table and "Prénom(s)" not in table


def test_saving_a_section_updates_the_stage_shown_in_the_header(cast):
    case = make_case(cast.worker)
    r = client_for(cast.worker).post(f"/cases/{case.pk}/section/case_plan/", {
        "version": case.version, "case_plan_date": "2026-02-05"}, **HTMX)
    html = r.content.decode()
    oob = html.split('id="record-facts" hx-swap-oob="true"', 1)[1]
    assert 'id="case-stage">Plan de prise en charge<' in oob
