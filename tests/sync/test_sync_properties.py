"""Synchronisation under random work and a bad network (hypothesis state machine).

Four real nodes, each its own process and database (``tests/sync/agent.py``; SQLite, the
national node and the relay on PostgreSQL in the PostgreSQL run): national ``nat`` ←
relay ``rel`` (ACE, BTA) ← offices ``ofa`` (ACE) and ``ofb`` (BTA).
People on every node create cases, edit fields, add, edit and delete rows of the
services subform, delete cases, refer and transfer cases between ACE, BTA and TGO (so
cases enter and leave the offices' and the relay's scopes) and answer, complete or
revoke referrals. Between them the network is played message by message: a child's
request may be delivered late, twice, never, or after newer ones; an answer may be lost
(the connection cut mid-transfer), taken twice or taken after newer ones.

Once every message gets through (``heal``), whatever happened before:

- every node holds what its parent holds for its scope (equal digests);
- no operation any node wrote is lost: the national node holds them all;
- every field of every record on the national node holds the value of its latest write
  (highest stamp), and every other write of it is an ancestor of that write or of a
  write kept as a conflict's loser: nothing was overwritten unnoticed;
- nothing is duplicated (one record per creation, one referral per referral, unique
  short ids, unique subform rows) and no node holds a record outside its scope;
- deleted cases and rows stay deleted everywhere.

``YIRI_SYNC_EXAMPLES`` and ``YIRI_SYNC_STEPS`` run it longer (defaults: 15 examples of
25 steps, about a minute and a half).
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from .agent import FIELDS
from .agents import LINKS, SCOPES, Network

EXAMPLES = int(os.environ.get("YIRI_SYNC_EXAMPLES", "15"))
STEPS = int(os.environ.get("YIRI_SYNC_STEPS", "25"))

NODES = ["nat", "rel", "ofa", "ofb"]
# Who works where (administrators may do every action; the others as their role lets them).
PEOPLE = {
    "ofa": ["aceadmin", "worker", "manager"],
    "ofb": ["btaadmin", "provider"],
    "rel": ["aceadmin", "btaadmin", "worker", "provider"],
    "nat": ["aceadmin", "btaadmin", "tgoadmin"],
}
AGENCY = {"aceadmin": "ACE", "worker": "ACE", "manager": "ACE", "btaadmin": "BTA",
          "provider": "BTA", "tgoadmin": "TGO"}
ORGS = ["ACE", "BTA", "TGO"]
UNIQUE = set(FIELDS) | {"provider_name"}  # fields every write gives a value never seen before
MAX_IN_FLIGHT = 4

_template: Network | None = None
_root: Path | None = None
_count = 0


def seeded_network(root: Path) -> Network:
    """The four nodes with a few cases everywhere (one referred from ACE to BTA, one of
    TGO's on the national node only)."""
    net = Network.prepare(root)
    net.start()
    try:
        a = net.agents
        for node, user, rows in (("ofa", "aceadmin", 1), ("ofa", "worker", 0), ("ofa", "aceadmin", 0),
                                 ("ofb", "btaadmin", 1), ("nat", "tgoadmin", 0)):
            assert a[node].call("act", action="create", user=user, pick=rows)["ok"]
        assert a["ofa"].call("act", action="refer", user="aceadmin", pick=0, pick2=1, to="BTA")["ok"]
        for child, parent in (LINKS[1], LINKS[2], LINKS[0], LINKS[1], LINKS[2]):
            net.sync(child, parent)
        national = a["nat"].call("state")
        net.seeded = ({r["id"] for r in national["records"]},
                      {r["id"] for r in national["referrals"]})
    finally:
        net.stop()
    return net


@pytest.fixture(scope="module")
def network_template(tmp_path_factory):
    """The seeded network, prepared once; each example runs on a copy."""
    global _template, _root
    _root = tmp_path_factory.mktemp("sync-props")
    _template = seeded_network(_root / "template")
    try:
        yield _template
    finally:
        _template.drop()
        _template = None


class SyncNetwork(RuleBasedStateMachine):
    def __init__(self) -> None:
        global _count
        super().__init__()
        _count += 1
        self.net = _template.copy(_root / f"example-{_count}")
        self.net.start()
        self.agents = self.net.agents
        self.requests = {link: [] for link in LINKS}  # (payload, push_upto) not yet delivered
        self.responses = {link: [] for link in LINKS}  # answers not yet taken
        self.made: dict[str, str] = {}  # operation id -> node that wrote it
        self.created: set[str] = set(_template.seeded[0])
        self.referrals: set[str] = set(_template.seeded[1])
        self.deleted: set[str] = set()
        self.deleted_rows: set[tuple[str, str]] = set()
        self.healthy = False

    # ---------------------------------------------------------------- people

    def _act(self, node: str, person: int, action: str, **args) -> dict:
        user = PEOPLE[node][person % len(PEOPLE[node])]
        answer = self.agents[node].call("act", action=action, user=user, **args)
        for op in answer["made"]:
            self.made[op] = node
        event(f"{action} {'done' if answer['ok'] else 'refused: ' + answer['refused'][:60]}")
        if answer["ok"]:
            if action == "create":
                self.created.add(answer["record"])
            elif action in ("refer", "transfer"):
                self.referrals.add(answer["referral"])
            elif action == "delete":
                self.deleted.add(answer["record"])
            elif action == "delete_row":
                self.deleted_rows.add((answer["record"], answer["row"]))
        return answer

    @initialize()
    def start(self) -> None:
        self.healthy = True

    @rule(node=st.sampled_from(NODES), person=st.integers(0, 3), rows=st.integers(0, 1))
    def create(self, node, person, rows):
        self._act(node, person, "create", pick=rows)

    @rule(node=st.sampled_from(NODES), person=st.integers(0, 3), pick=st.integers(0, 50),
          field=st.sampled_from(FIELDS))
    def edit(self, node, person, pick, field):
        self._act(node, person, "edit", pick=pick, field=field)

    @rule(node=st.sampled_from(NODES), person=st.integers(0, 3), pick=st.integers(0, 50),
          row=st.integers(0, 50), action=st.sampled_from(["add_row", "edit_row", "delete_row"]))
    def subform(self, node, person, pick, row, action):
        self._act(node, person, action, pick=pick, pick2=row)

    @rule(node=st.sampled_from(NODES), person=st.integers(0, 3), pick=st.integers(0, 50))
    def delete(self, node, person, pick):
        self._act(node, person, "delete", pick=pick)

    @rule(node=st.sampled_from(NODES), person=st.integers(0, 3), pick=st.integers(0, 50),
          row=st.integers(0, 50), to=st.sampled_from(ORGS),
          action=st.sampled_from(["refer", "transfer"]))
    def share(self, node, person, pick, row, to, action):
        self._act(node, person, action, pick=pick, pick2=row, to=to)

    @rule(node=st.sampled_from(NODES), person=st.integers(0, 3), pick=st.integers(0, 50),
          action=st.sampled_from(["respond", "respond", "complete", "revoke"]),
          accept=st.booleans())
    def answer(self, node, person, pick, action, accept):
        self._act(node, person, action, pick=pick, accept=accept)

    # --------------------------------------------------------------- network

    def _serve(self, link, payload) -> dict:
        child, parent = link
        return self.agents[parent].call("serve", child=self.agents[child].node_id,
                                        payload=payload)["response"]

    @rule(link=st.sampled_from(LINKS), limit=st.sampled_from([1, 3, 500]),
          exchanges=st.integers(1, 4))
    def exchange(self, link, limit, exchanges):
        """Exchanges that go through (what ``sync run`` does when the line holds)."""
        child = link[0]
        for _ in range(exchanges):
            request = self.agents[child].call("request", limit=limit)
            response = self._serve(link, request["payload"])
            self.agents[child].call("take", response=response)
            if not request["push_more"] and not response.get("more"):
                break

    @rule(link=st.sampled_from(LINKS), limit=st.sampled_from([1, 3, 500]))
    def send(self, link, limit):
        """The child sends a request that is not delivered yet."""
        request = self.agents[link[0]].call("request", limit=limit)
        queue = self.requests[link]
        queue.append(request["payload"])
        del queue[:-MAX_IN_FLIGHT]

    @staticmethod
    def _waiting(queues: dict, which: int) -> tuple[str, str]:
        links = [link for link, queue in sorted(queues.items()) if queue]
        return links[which % len(links)]

    @rule(which=st.integers(0, 3), index=st.integers(0, MAX_IN_FLIGHT), keep=st.booleans())
    def deliver(self, which, index, keep):
        """A request reaches the parent (any of those in flight: late, out of order); with
        ``keep`` it may be delivered again (a retry of the same body)."""
        if not any(self.requests.values()):
            return
        link = self._waiting(self.requests, which)
        queue = self.requests[link]
        i = index % len(queue)
        payload = queue[i] if keep else queue.pop(i)
        answers = self.responses[link]
        answers.append(self._serve(link, payload))
        del answers[:-MAX_IN_FLIGHT]

    @rule(which=st.integers(0, 3), index=st.integers(0, MAX_IN_FLIGHT), keep=st.booleans())
    def receive(self, which, index, keep):
        """An answer reaches the child (late, out of order, or a second time)."""
        if not any(self.responses.values()):
            return
        link = self._waiting(self.responses, which)
        queue = self.responses[link]
        i = index % len(queue)
        response = queue[i] if keep else queue.pop(i)
        self.agents[link[0]].call("take", response=response)

    @rule(which=st.integers(0, 7), index=st.integers(0, MAX_IN_FLIGHT))
    def lose(self, which, index):
        """A request or an answer is lost (an answer lost: the connection cut after the
        parent applied the chunk)."""
        queues = [q for _, q in sorted(self.requests.items()) if q] + [
            q for _, q in sorted(self.responses.items()) if q]
        if not queues:
            return
        queue = queues[which % len(queues)]
        queue.pop(index % len(queue))

    # ----------------------------------------------------------------- check

    def teardown(self) -> None:
        try:
            if self.healthy:  # a failed step stops the example: its error is the finding
                self.healthy = False
                self.heal()
                self.check()
        finally:
            self.net.stop()
            self.net.drop()
            shutil.rmtree(self.net.root, ignore_errors=True)

    def heal(self) -> None:
        """Every message gets through: up, up, down, until nothing moves."""
        order = [LINKS[1], LINKS[2], LINKS[0], LINKS[0], LINKS[1], LINKS[2]]
        for _ in range(6):
            moved = sum(self.net.sync(child, parent, limit=7) for child, parent in order)
            if not moved:
                return
        raise AssertionError("the nodes still exchange operations after six rounds")

    def check(self) -> None:
        states = {n: self.agents[n].call("state") for n in NODES}
        # Every node holds what its parent holds for its scope.
        for child, parent in LINKS:
            mine = self.agents[child].call("digest")
            theirs = self.agents[parent].call("digest", organisations=SCOPES[child])
            if mine["digest"] != theirs["digest"]:
                raise AssertionError(f"{child} and {parent} differ:\n" + self._diff(child, parent))
        for office in ("ofa", "ofb"):
            nat = self.agents["nat"].call("digest", organisations=SCOPES[office])
            if nat["digest"] != self.agents[office].call("digest")["digest"]:
                raise AssertionError(f"{office} and nat differ:\n" + self._diff(office, "nat"))
        # No node holds a record outside its scope.
        for n in NODES:
            outside = [r["short_id"] for r in states[n]["records"] if not r["in_scope"]]
            assert not outside, f"{n} holds records outside its scope: {outside}"
        # No operation lost, nothing duplicated.
        log = self.agents["nat"].call("log")["ops"]
        held = {op["id"] for op in log}
        lost = sorted(set(self.made) - held)
        assert not lost, f"operations never reached the national node: {lost[:5]} …"
        national = states["nat"]
        records = {r["id"]: r for r in national["records"]}
        assert set(records) >= self.created
        assert len(records) == len(self.created)
        assert {r["id"] for r in national["referrals"]} == self.referrals
        for n in NODES:
            ids = [r["short_id"] for r in states[n]["records"]]
            assert len(ids) == len(set(ids)), f"{n}: a short id twice"
            for r in states[n]["records"]:
                rows = [p.split("/")[1] for p in r["values"] if p.endswith("/_id")]
                assert len(rows) == len(set(rows))
        # Deleted stays deleted, wherever the case is held.
        for n in NODES:
            for r in states[n]["records"]:
                if r["id"] in self.deleted:
                    assert r["deleted"], f"{n}: deleted case {r['short_id']} came back"
                for rid, row in self.deleted_rows:
                    if r["id"] == rid:
                        assert r["values"].get(f"services/{row}/_deleted") is True
        check_latest_writes_win(log, records, national["conflicts"])


    def _diff(self, child: str, parent: str) -> str:
        mine = self.agents[child].call("digest_lines")["lines"]
        theirs = self.agents[parent].call("digest_lines", organisations=SCOPES[child])["lines"]
        return "".join(list(difflib.unified_diff(theirs, mine, parent, child, n=0))[:40])


def check_latest_writes_win(log: list[dict], records: dict, conflicts: list[dict]) -> None:
    """Each field holds its latest write; every other write of it is an ancestor of that
    write or of a kept conflict loser (for fields whose values are all distinct)."""
    writes: dict[tuple[str, str], dict[int, dict]] = {}
    for op in log:
        if op["entity_id"] not in records or op["entity"] != records[op["entity_id"]]["type"]:
            continue
        for path, (new, _old, replaced) in op["changes"].items():
            writes.setdefault((op["entity_id"], path), {})[op["hlc"]] = {
                "value": new, "replaced": replaced, "origin": op["origin"]}
    losers = {(c["entity_id"], c["path"]): set() for c in conflicts}
    for c in conflicts:
        losers[(c["entity_id"], c["path"])].add(c["loser_stamp"])
    for (rid, path), by_stamp in writes.items():
        record = records[rid]
        latest = max(by_stamp, key=lambda s: (s, by_stamp[s]["origin"]))
        value = record["values"].get(path)
        assert value == by_stamp[latest]["value"], (
            f"{record['short_id']} {path}: holds {value!r}, the latest write is "
            f"{by_stamp[latest]['value']!r}")
        assert record["stamps"].get(path) in (latest, None)
        if path.split("/")[-1] not in UNIQUE:
            continue
        kept: set[int] = set()
        for tip in {latest} | losers.get((rid, path), set()):
            while tip is not None and tip not in kept:
                kept.add(tip)
                tip = by_stamp.get(tip, {}).get("replaced")
        unnoticed = [by_stamp[s]["value"] for s in by_stamp if s not in kept]
        assert not unnoticed, (f"{record['short_id']} {path}: writes overwritten without a "
                               f"conflict: {unnoticed}")


SyncNetwork.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    # YIRI_SYNC_SHRINK=0: report the first failing example as it came (shrinking a long
    # run takes minutes).
    **({} if os.environ.get("YIRI_SYNC_SHRINK", "1") == "1" else
       {"phases": [Phase.explicit, Phase.reuse, Phase.generate]}),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.usefixtures("network_template")
class TestSyncNetwork(SyncNetwork.TestCase):
    pass
