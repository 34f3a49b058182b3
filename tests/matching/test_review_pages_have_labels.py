"""Every input of the review pages has a label, and the pages read in English for an
English-speaking reviewer."""

from __future__ import annotations

from yiri.cases.services import create_record
from yiri.matching.merge import merge_records
from yiri.matching.person import person_from_record
from yiri.matching.review import propose
from yiri.matching.scoring import score_pair

from ..conftest import child_answers
from ..web.helpers import client_for, text_of
from ..web.test_accessibility import unlabelled


def _pair(cast):
    a = create_record(cast.worker, "case", child_answers(name_first="Rasmata", name_last="Sawadogo"))
    b = create_record(cast.colleague, "case", child_answers(name_first="Rasmata", name_last="Sawadogo"))
    return a, b, propose(a, b, score_pair(person_from_record(a), person_from_record(b)), source="batch")


def test_every_input_of_the_review_pages_has_a_label(cast):
    a, b, cand = _pair(cast)
    relay = client_for(cast.relay)
    pages = [(relay, "/doublons/a-examiner/"), (relay, f"/doublons/{cand.pk}/"),
             (client_for(cast.worker), "/doublons/questions/")]
    for client, url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        assert unlabelled(r.content.decode()) == [], url
    r = client_for(cast.manager).post("/cases/new/", {
        "step": "save", "name_first": "Rasmata", "name_last": "Sawadogo", "sex": "female",
        "age": "12", "registration_date": "2026-02-01"})
    assert "peut-être déjà enregistré" in text_of(r)
    assert unlabelled(r.content.decode()) == []
    merge_records(cast.relay, a, b)
    page = relay.get(f"/cases/{a.pk}/")
    assert "Dossiers fusionnés dans celui-ci" in text_of(page)
    assert unlabelled(page.content.decode()) == []


def test_the_queue_reads_in_english(cast):
    _pair(cast)
    relay = client_for(cast.relay)
    relay.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = text_of(relay.get("/doublons/a-examiner/"))
    assert "Possible duplicates" in page and "To review" in page and "Compare" in page
