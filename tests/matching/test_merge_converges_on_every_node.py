"""A merge made on the relay cell reaches the national node and the office through sync,
and every node that holds the survivor ends in the same state: the same answers (the
merged record's included), the same notes, flags, files and referrals; undoing it
converges the same way. National → relay (ACE, BTA) → office (ACE), over HTTP.

The two records belong to two organisations (ACE's worker, BTA's worker): the office of
ACE never held BTA's record, and receives what the merge brought as ordinary operations
on its own child's record.
"""

from __future__ import annotations

import pytest

from ..sync.nodes import SETUP_NETWORK, Node, link

CREATE_ACE = """
from yiri.accounts.models import User
from yiri.cases.notes import add_note
from yiri.cases.services import create_record
worker = User.objects.get(username="worker")
c = create_record(worker, "case", {
    "name_first": "Fatimata", "name_last": "Ouédraogo", "sex": "female", "age": 12,
    "registration_date": "2026-01-15", "services": [{"service_type": "health"}]})
add_note(worker, c, subject="Visite", body="Vue au centre")
result = str(c.pk)
"""

CREATE_BTA = """
from django.core.files.uploadedfile import SimpleUploadedFile
from yiri.accounts.models import User
from yiri.attachments.services import add_attachment
from yiri.cases.notes import add_flag, add_note
from yiri.cases.services import create_record
worker = User.objects.get(username="bworker")
c = create_record(worker, "case", {
    "name_first": "Fatoumata", "name_last": "Ouedraogo", "name_nickname": "Fati", "sex": "female",
    "age": 12, "registration_date": "2026-02-01", "phone": "70112233",
    "services": [{"service_type": "education"}],
    "family_details": [{"relation": "mother", "relation_name": "Salimata Ouédraogo"}]})
add_note(worker, c, subject="Entretien", body="Parle de sa tante à Bobo")
add_flag(worker, c, reason="Ne pas contacter l'oncle")
pdf = (b"%PDF-1.4\\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\\ntrailer<</Root 1 0 R>>\\n%%EOF\\n")
add_attachment(worker, c, "supporting_documents",
               SimpleUploadedFile("acte.pdf", pdf, content_type="application/pdf"))
result = str(c.pk)
"""

MERGE = """
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.matching.merge import merge_records
relay = User.objects.get(username="relay")
m = merge_records(relay, Case.objects.get(pk=%r), Case.objects.get(pk=%r))
result = str(m.pk)
"""

UNDO = """
from yiri.accounts.models import User
from yiri.matching.merge import undo_merge
from yiri.matching.models import Merge
undo_merge(User.objects.get(username="relay"), Merge.objects.get(pk=%r))
result = True
"""

STATE = """
from yiri.attachments.models import Attachment
from yiri.cases import identity
from yiri.cases.models import Case, Flag, Note
from yiri.formconfig.schema import get_schema
from yiri.matching.merge import merged_ids
c = Case._base_manager.get(pk=%r)
a = identity.read_answers(c, get_schema("case"))
result = {
    "deleted": c.deleted, "name_first": a.get("name_first"), "nickname": a.get("name_nickname"),
    "phone": a.get("phone"), "services": sorted(r["service_type"] for r in a.get("services", [])),
    "family": [r.get("relation_name") for r in a.get("family_details", [])],
    "notes": sorted(n.body for n in Note.objects.of(c)),
    "flags": sorted(f.reason for f in Flag.objects.of(c)),
    "files": sorted(x.field_code for x in Attachment.objects.of(c)),
    "merged": [str(i) for i in merged_ids(c)],
}
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("merge")
    national = Node(root, "national", "national", postgres=True)
    relay = Node(root, "relay", "relay")
    office = Node(root, "office", "office")
    nodes = [national, relay, office]
    try:
        for node in nodes:
            node.install()
        national.script(SETUP_NETWORK)
        national.serve()
        relay.serve()
        link(national, relay, "ACE,BTA")
        relay.sync()
        link(relay, office, "ACE")
        office.sync()
        yield national, relay, office
    finally:
        for node in nodes:
            node.stop()


def _settle(national, relay, office):
    for _round in range(2):
        office.sync()
        relay.sync()


def test_a_merge_and_its_undo_converge_on_every_node(network):
    national, relay, office = network
    ace = office.script(CREATE_ACE)
    bta = relay.script(CREATE_BTA)
    _settle(national, relay, office)
    merge = relay.script(MERGE % (ace, bta))
    _settle(national, relay, office)

    states = {n.name: n.script(STATE % ace) for n in (national, relay, office)}
    expected = {
        "deleted": False, "name_first": "Fatimata", "nickname": "Fati", "phone": "70112233",
        "services": ["education", "health"], "family": ["Salimata Ouédraogo"],
        "notes": ["Parle de sa tante à Bobo", "Vue au centre"],
        "flags": ["Ne pas contacter l'oncle"], "files": ["supporting_documents"],
        "merged": [bta],
    }
    assert states == {name: expected for name in states}
    for node in (national, relay):
        assert node.script(STATE % bta)["deleted"] is True
    assert relay.digest("ACE") == office.digest("ACE") == national.digest("ACE")
    assert relay.digest("ACE,BTA") == national.digest("ACE,BTA")

    relay.script(UNDO % merge)
    _settle(national, relay, office)
    back = {n.name: n.script(STATE % ace) for n in (national, relay, office)}
    undone = {
        "deleted": False, "name_first": "Fatimata", "nickname": None, "phone": None,
        "services": ["health"], "family": [], "notes": ["Vue au centre"], "flags": [],
        "files": [], "merged": [],
    }
    assert back == {name: undone for name in back}
    for node in (national, relay):
        assert node.script(STATE % bta)["deleted"] is False
    assert relay.digest("ACE") == office.digest("ACE") == national.digest("ACE")
    assert relay.digest("ACE,BTA") == national.digest("ACE,BTA")


PAIR = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
worker = User.objects.get(username="worker")
base = {"sex": "male", "age": 10, "registration_date": "2026-01-15"}
a = create_record(worker, "case", {"name_first": "Adama", "name_last": "Traoré", **base})
b = create_record(worker, "case", {"name_first": "Adama", "name_last": "Traore", **base})
result = [str(a.pk), str(b.pk)]
"""

SET_ASIDE = """
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.matching.person import person_from_record
from yiri.matching.review import access_candidate, not_the_same, propose
from yiri.matching.scoring import score_pair
relay = User.objects.get(username="relay")
a, b = Case.objects.get(pk=%r), Case.objects.get(pk=%r)
cand = propose(a, b, score_pair(person_from_record(a), person_from_record(b)), source="batch")
not_the_same(relay, access_candidate(relay, cand.pk))
result = True
"""

PROPOSE_AGAIN = """
from yiri.cases.models import Case
from yiri.matching.person import person_from_record
from yiri.matching.review import propose
from yiri.matching.scoring import score_pair
a, b = Case.objects.get(pk=%r), Case.objects.get(pk=%r)
s = score_pair(person_from_record(a), person_from_record(b))
result = [propose(b, a, s, source="live") is None, propose(a, b, s, source="batch") is None]
"""


def test_not_the_same_decided_on_the_relay_holds_on_every_node(network):
    national, relay, office = network
    a, b = office.script(PAIR)
    _settle(national, relay, office)
    relay.script(SET_ASIDE % (a, b))
    _settle(national, relay, office)
    for node in (national, office, relay):
        assert node.script(PROPOSE_AGAIN % (a, b)) == [True, True], node.name
