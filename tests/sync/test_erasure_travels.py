"""An erasure approved on the national node reaches the relay and the office through sync,
and each runs it: afterwards the child's name is on no node — not in the answers read
back, not in any table, not in the bytes of the SQLite files. An edit the office made
before it heard of the erasure travels up without its identifying values.

National → relay (ACE, BTA) → office (ACE), over HTTP.
"""

from __future__ import annotations

import pytest

from .nodes import SETUP_NETWORK, Node, link
from .test_a_childs_name_stays_where_it_may import leaks as _leaks_of_name

NAME = "Zéphyrine Kwëtzalcoatlù"
LATE = "Xochiquetzalé Papalötl"  # typed on the office before it heard of the erasure

CREATE = f"""
from yiri.accounts.models import User
from yiri.cases.notes import add_flag, add_note
from yiri.cases.services import create_record
worker = User.objects.get(username="worker")
c = create_record(worker, "case", {{
    "name_first": {NAME.split()[0]!r}, "name_last": {NAME.split()[1]!r}, "sex": "female",
    "age": 11, "registration_date": "2026-11-01", "phone": "70998877"}})
add_note(worker, c, subject="Visite", body={NAME!r} + " va mieux")
add_flag(worker, c, reason="La tante de " + {NAME!r} + " menace")
result = str(c.pk)
"""

ERASE = """
from yiri.accounts.models import User
from yiri.cases.erasure import approve_erasure, request_erasure
from yiri.cases.models import Case
case = Case.objects.get(pk=%r)
asked = request_erasure(User.objects.get(username="national"), case, "request")
report = approve_erasure(User.objects.get(username="admin"), asked)
result = report.records
"""

LATE_EDIT = f"""
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.cases.notes import add_note
from yiri.cases.services import update_record
worker = User.objects.get(username="worker")
case = Case.objects.get(pk=%r)
update_record(worker, case, {{"name_nickname": {LATE.split()[0]!r}, "age": 12}})
add_note(worker, Case.objects.get(pk=case.pk), body={LATE!r})
result = True
"""

STATE = """
import json
from django.db import connection
from yiri.cases import identity
from yiri.cases.models import Case, NameToken, Note
from yiri.formconfig.schema import get_schema
c = Case._base_manager.filter(pk=%r).first()
text = []
with connection.cursor() as cursor:
    for table in connection.introspection.table_names():
        cursor.execute('SELECT * FROM "%%s"' %% table)
        text.extend(json.dumps(row, default=str, ensure_ascii=False) for row in cursor.fetchall())
result = None if c is None else {
    "name": identity.display_name(c), "erased": c.erased, "sex": c.sex,
    "answers": identity.read_answers(c, get_schema("case")),
    "notes": [n.body for n in Note.objects.filter(record_id=c.pk)],
    "tokens": NameToken.objects.filter(record_id=c.pk).count(),
    "tables": "\\n".join(text),
}
"""


def leaks(data: bytes) -> list[bytes]:
    from .test_a_childs_name_stays_where_it_may import encodings, inflated

    return _leaks_of_name(data) + [f for blob in inflated(data) for f in encodings(LATE)
                                   if f in blob]


def normalised(text: str) -> list[str]:
    """The names as search tokens and sort keys hold them (lower case, no accents)."""
    import unicodedata

    def plain(w: str) -> str:
        return unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode().lower()

    return [w for w in (NAME + " " + LATE).split() if plain(w) in plain(text)]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("erasure")
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


def test_an_erasure_on_the_national_node_leaves_the_name_on_no_node(network):
    national, relay, office = network
    case = office.script(CREATE)
    office.sync()
    relay.sync()
    before = national.script(STATE % case)
    assert before["name"] == NAME and not before["erased"]  # it travelled
    # Encrypted at rest, the name is in no byte of the office's database files even before
    # the erasure; the check of those bytes sees a name written in clear.
    assert leaks(f"x{NAME}x".encode())
    assert not any(leaks(p.read_bytes()) for p in office.dir.iterdir()
                   if p.name.startswith("yiri.sqlite3"))

    assert national.script(ERASE % case) == 1
    office.script(LATE_EDIT % case)  # the office has not heard yet
    relay.sync()  # the relay hears of the erasure
    office.sync()  # the office sends its late edit and hears of the erasure
    relay.sync()  # the late edit goes up to the national node
    office.sync()

    for node in (national, relay, office):
        state = node.script(STATE % case)
        assert state is not None, node.name
        assert state["erased"] and state["name"] == "", node.name
        assert state["sex"] == "female", node.name  # the statistics keep what identifies no one
        answers = state["answers"]
        assert not {"name_first", "name_last", "name_nickname", "phone"} & set(answers), node.name
        assert all(body == "" for body in state["notes"]) and state["notes"], node.name
        assert state["tokens"] == 0, node.name
        assert not leaks(state["tables"].encode()), node.name
        assert not normalised(state["tables"]), node.name
    # The late edit's answer that identifies no one merged like any other.
    assert national.script(STATE % case)["answers"].get("age") == 12
    # And the nodes hold the same state.
    assert relay.digest("ACE") == office.digest("ACE")
    assert national.digest("ACE,BTA") == relay.digest("ACE,BTA")

    # Nor in the bytes of the database files (SQLite nodes).
    for node in (national, relay, office):
        files = [p for p in node.dir.iterdir() if p.name.startswith("yiri.sqlite3")]
        if node.pg_db is None:
            assert files, node.name
        for path in files:
            assert not leaks(path.read_bytes()), f"{node.name}: {path.name}"
