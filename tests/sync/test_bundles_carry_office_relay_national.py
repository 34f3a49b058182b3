"""Office → relay cell → national by bundle files only: no server runs, every node its
own process and database, every bundle a real file carried from one to the other.

A bundle holds what the receiver has not acknowledged, so several in flight, a lost one
and bundles imported out of order are all fine; the acknowledgement brought back tells
the sender what arrived, and the next bundle no longer carries it.
"""

from __future__ import annotations

import pytest

from .bundles import (
    ANSWERS,
    CREATE,
    EDIT,
    bundle_network,
    carry,
    cursors,
    export,
    import_,
    path_for,
)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return bundle_network(tmp_path_factory.mktemp("bundles"))


def digests(nodes, organisations="ACE"):
    return {n.name: n.digest(organisations) for n in nodes}


def test_a_case_travels_office_to_relay_to_national_by_bundles_only(network):
    national, relay, office = network
    assert all(n.proc is None for n in network)  # no server: files only
    case = office.script(CREATE % {"first": "Awa"})
    office.script(EDIT % {"case": case["id"], "user": "worker",
                          "answers": {"services": [{"service_type": "health"}]}})
    assert "2 opération(s), dont 2 nouvelle(s)" in carry(office, relay)
    assert "2 opération(s), dont 2 nouvelle(s)" in carry(relay, national)
    answers = national.script(ANSWERS % {"case": case["id"]})
    assert answers["name_first"] == "Awa"
    assert [r["service_type"] for r in answers["services"]] == ["health"]
    assert len(set(digests(network).values())) == 1, digests(network)
    assert relay.digest("ACE,BTA") == national.digest("ACE,BTA")
    # Each node heard of the other by bundle.
    assert cursors(relay, office)["way"] == cursors(relay, national)["way"] == "bundle"


def test_a_round_trip_with_acknowledgements_leaves_nothing_to_send(network):
    national, relay, office = network
    case = office.script(CREATE % {"first": "Mariam"})
    path = export(office, relay)
    ack = path_for(relay, "accuse")
    out = import_(relay, path, ack)
    assert "1 opération(s), dont 1 nouvelle(s)" in out
    assert "Accusé de réception" in out and ack.exists()
    # Before the acknowledgement comes back, the next bundle carries the case again.
    again = path_for(office)
    assert "1 opération(s)" in office.manage("bundle", "export", "--to", relay.node_id,
                                            "--out", str(again))
    assert "Accusé de réception n°" in import_(office, ack)
    office_side = cursors(office, relay)
    assert office_side["sent_upto"] == office_side["last_seq"]
    assert "0 opération(s)" in office.manage("bundle", "export", "--to", relay.node_id,
                                            "--out", str(path_for(office)))
    # The way down: a bundle from the relay acknowledges too, without an ack file.
    relay.script(EDIT % {"case": case["id"], "user": "admin", "answers": {"risk_level": "high"}})
    down = export(relay, office)
    assert "1 nouvelle(s)" in import_(office, down)
    assert office.script(ANSWERS % {"case": case["id"]})["risk_level"] == "high"
    relay_side = cursors(relay, office)
    assert cursors(office, relay)["received_upto"] == relay_side["last_seq"]
    assert relay_side["sent_upto"] < relay_side["last_seq"]
    back = export(office, relay)  # nothing new, but it says what the office holds
    assert "0 opération(s)" in import_(relay, back)
    relay_side = cursors(relay, office)
    assert relay_side["sent_upto"] == relay_side["last_seq"]
    carry(relay, national)
    assert len(set(digests(network).values())) == 1, digests(network)


def test_a_lost_bundle_is_sent_again_by_the_next_export(network):
    national, relay, office = network
    case = office.script(CREATE % {"first": "Fatou"})
    lost = export(office, relay)
    lost.unlink()  # fell out of the driver's pocket
    office.script(EDIT % {"case": case["id"], "user": "worker", "answers": {"risk_level": "low"}})
    out = carry(office, relay)
    assert "2 opération(s), dont 2 nouvelle(s)" in out
    answers = relay.script(ANSWERS % {"case": case["id"]})
    assert answers["name_first"] == "Fatou" and answers["risk_level"] == "low"
    assert relay.digest("ACE") == office.digest("ACE")


def test_bundles_imported_out_of_order_lose_nothing_and_the_older_changes_nothing(network):
    national, relay, office = network
    case = office.script(CREATE % {"first": "Salimata"})
    first = export(office, relay)
    office.script(EDIT % {"case": case["id"], "user": "worker", "answers": {"risk_level": "medium"}})
    second = export(office, relay)
    assert "2 opération(s), dont 2 nouvelle(s)" in import_(relay, second)
    before = cursors(relay, office), relay.digest("ACE")
    out = import_(relay, first)
    assert "plus ancien que le paquet" in out and "rien n'a changé" in out
    assert (cursors(relay, office), relay.digest("ACE")) == before
    answers = relay.script(ANSWERS % {"case": case["id"]})
    assert answers["name_first"] == "Salimata" and answers["risk_level"] == "medium"
    assert relay.digest("ACE") == office.digest("ACE")


MANY = """
from yiri.accounts.models import User
from yiri.cases.services import bulk_create_records
items = [{"name_first": "Enfant", "name_last": f"N{i}", "sex": "male", "age": 10,
          "registration_date": "2026-11-02"} for i in range(1200)]
result = len(bulk_create_records(User.objects.get(username="worker"), "case", items))
"""


def on_a_terminal(node, *args: str) -> str:
    """``manage.py ARGS`` on ``node`` with its output on a pseudo-terminal: what it shows."""
    import os
    import pty
    import subprocess
    import sys

    from .nodes import REPO

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "manage.py", *args], cwd=REPO, env=node.env,
                            stdout=follower, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(timeout=300) == 0, shown.decode(errors="replace")
    return shown.decode(errors="replace")


def test_a_large_bundle_shows_its_progress_on_a_terminal(network):
    national, relay, office = network
    carry(office, relay)  # what earlier tests left unacknowledged
    assert office.script(MANY) == 1200
    path = path_for(office)
    shown = on_a_terminal(office, "bundle", "export", "--to", relay.node_id, "--out", str(path))
    assert "Écriture" in shown and "[" + "#" * 30 + "] 100 %" in shown, shown
    assert "1200 opération(s)" in shown
    shown = on_a_terminal(relay, "bundle", "import", str(path))
    assert "Vérification" in shown and "Import" in shown and "] 100 %" in shown, shown
    assert "1200 opération(s), dont 1200 nouvelle(s)" in shown
    quiet = on_a_terminal(office, "bundle", "export", "--to", relay.node_id, "--out",
                          str(path_for(office)), "--quiet")
    assert "Écriture" not in quiet and "%" not in quiet


def test_a_lost_acknowledgement_is_written_again_with_bundle_ack(network):
    national, relay, office = network
    office.script(CREATE % {"first": "Kadiatou"})
    assert "dont 1 nouvelle(s)" in import_(relay, export(office, relay))  # its ack was lost
    assert cursors(office, relay)["sent_upto"] < cursors(office, relay)["last_seq"]
    ack = path_for(relay, "accuse")
    assert "Accusé de réception n°" in relay.manage("bundle", "ack", "--to", "office",
                                                     "--out", str(ack))
    import_(office, ack)
    office_side = cursors(office, relay)
    assert office_side["sent_upto"] == office_side["last_seq"]
