"""The printed case file: the sections the reader may read, with French labels and lookup
labels, subform rows as tables, the photo's thumbnail, a confidentiality header — and an
audit row as for an export."""

from __future__ import annotations

from yiri.attachments.services import add_attachment
from yiri.audit.models import AuditAction, AuditEvent
from yiri.cases.services import assign_record, update_record

from ..attachments.files import photo
from ..conftest import make_case
from .helpers import client_for, text_of


def printed(user, case):
    return client_for(user).get(f"/cases/{case.pk}/print/")


def test_the_case_page_links_to_its_print_view(cast):
    case = make_case(cast.worker)
    page = client_for(cast.worker).get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/print/"' in page


def test_the_print_view_has_every_readable_section_in_french_with_rows_as_tables(cast):
    case = make_case(cast.worker, risk_level="high")
    update_record(cast.worker, case, {"services": [{"service_type": "health",
                                                    "provider_agency": "CSPS de Kaya"}]})
    att = add_attachment(cast.worker, case, "photos", photo())
    r = printed(cast.worker, case)
    assert r.status_code == 200
    text = text_of(r)
    for expected in ("Confidentiel", case.short_id, "Imprimé le", "par Worker", "Awa Ouédraogo",
                     "Identité de l'enfant", "Prénom(s)", "Féminin", "Kadiogo", "Évaluation",
                     "Photos et documents", "Préoccupations de protection", "Élevé"):
        assert expected in text, expected
    html = r.content.decode()
    assert "<table>" in html and "<th scope=\"col\">Type de service</th>" in html
    assert "CSPS de Kaya" in text and "Santé" in text
    assert f'src="/cases/{case.pk}/attachments/{att.pk}/thumbnail/"' in html
    # Nothing to click on paper: no navigation, no form, no button.
    assert "<nav" not in html and "<form" not in html and "<button" not in html
    assert "@media print" in client_for(cast.worker).get("/static/web/print.css").getvalue().decode()


def test_printing_is_audited_as_an_export_with_ids_only(cast):
    case = make_case(cast.worker)
    printed(cast.worker, case)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, record_id=case.pk)
    assert event.user == cast.worker and event.record_type == "case"
    assert event.details["format"] == "print" and "basic_identity" in event.details["sections"]
    assert "Awa" not in str(event.details)


def test_an_outsider_cannot_print_a_case_and_nothing_is_audited_as_printed(cast):
    case = make_case(cast.worker)
    assert printed(cast.outsider, case).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT, record_id=case.pk).exists()


def test_a_service_provider_prints_only_the_sections_its_role_reads(cast):
    case = make_case(cast.worker)
    add_attachment(cast.worker, case, "photos", photo())
    update_record(cast.worker, case, {"assessment_summary": "Besoins urgents"})
    assign_record(cast.manager, case, cast.provider)
    r = printed(cast.provider, case)
    text = text_of(r)
    for shown in ("Identité de l'enfant", "Consentement et confidentialité",
                  "Préoccupations de protection", "Services", "Suivi"):
        assert shown in text, shown
    for hidden in ("Évaluation", "Besoins urgents", "Photos et documents", "Famille",
                   "Clôture du dossier"):
        assert hidden not in text, hidden
    assert "/thumbnail/" not in r.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, user=cast.provider)
    assert set(event.details["sections"]) == {"basic_identity", "consent", "protection_concerns",
                                              "services_section", "followup"}
