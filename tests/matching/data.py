"""Two records of one child, as two organisations would register her: what the merge
tests start from."""

from __future__ import annotations

from yiri.attachments.services import add_attachment
from yiri.cases.identity import read_answers
from yiri.cases.notes import add_flag, add_note
from yiri.cases.services import create_record
from yiri.formconfig.schema import get_schema
from yiri.workflow.services import refer

from ..attachments.files import PDF, photo, upload
from ..conftest import child_answers


def answers(case) -> dict:
    return read_answers(case, get_schema("case"))


def child_twice(cast):
    """The worker's case (the survivor) and a colleague's of the same child, each with
    answers the other lacks, one answer where they differ, services, a note, a flag, a
    photo or document, and a referral on the second."""
    first = create_record(cast.worker, "case", child_answers(
        name_first="Fatimata", name_last="Ouédraogo", date_of_birth="2013-11-02",
        nationality=["bf"], phone="70112233",
        services=[{"service_type": "health"}]))
    second = create_record(cast.colleague, "case", child_answers(
        name_first="Fatoumata", name_last="Ouedraogo", name_nickname="Fati",
        nationality=["bf", "ci"], consent_for_services=True, disclosure_other_orgs=True,
        services=[{"service_type": "education"}, {"service_type": "psychosocial"}],
        family_details=[{"relation": "mother", "relation_name": "Salimata Ouédraogo"}]))
    add_note(cast.worker, first, subject="Visite", body="Vue au centre")
    add_note(cast.colleague, second, subject="Entretien", body="Parle de sa tante à Bobo")
    add_flag(cast.colleague, second, reason="Ne pas contacter l'oncle")
    add_attachment(cast.worker, first, "photos", photo("fatimata.jpg"))
    add_attachment(cast.colleague, second, "supporting_documents",
                   upload("acte.pdf", PDF, "application/pdf"))
    row = answers(second)["services"][0]["_id"]
    referral = refer(cast.colleague, second, to_agency=cast.bta, to_user=cast.provider,
                     service_row_id=row)
    first.refresh_from_db()
    second.refresh_from_db()
    return first, second, referral
