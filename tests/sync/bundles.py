"""Bundle files between real nodes (``manage.py bundle``), for the bundle tests.

``carry`` exports a bundle on one node, imports it on the other and brings the
acknowledgement back, as an operator with a USB stick would; ``bundle_network`` makes
national → relay → office linked and keyed, the network's configuration carried down by
bundles only (no server is started).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from .nodes import SETUP_NETWORK, Node, link

_files = itertools.count(1)

CREATE = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
w = User.objects.get(username="worker")
c = create_record(w, "case", {"name_first": %(first)r, "name_last": "Ouédraogo", "sex": "female",
                              "age": 12, "registration_date": "2026-11-01"})
result = {"id": str(c.pk), "short_id": c.short_id}
"""

EDIT = """
from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.cases.services import update_record
c = Case.objects.get(pk=%(case)r)
update_record(User.objects.get(username=%(user)r), c, %(answers)r)
"""

ANSWERS = """
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
c = Case.objects.filter(pk=%(case)r).first()
result = identity.read_answers(c, get_schema("case")) if c else None
"""

CURSORS = """
from yiri.sync.models import Operation, Peer
p = Peer.objects.get(node_id=%(peer)r)
result = {"sent_upto": p.sent_upto, "received_upto": p.received_upto,
          "last_seq": Operation.objects.order_by("-seq").values_list("seq", flat=True).first() or 0,
          "ops": Operation.objects.count(), "way": p.last_way,
          "contact": p.last_contact.isoformat() if p.last_contact else None}
"""


def path_for(node: Node, kind: str = "paquet") -> Path:
    return node.dir.parent / f"{kind}-{next(_files)}.yiri"


def export(sender: Node, receiver: Node, out: Path | None = None) -> Path:
    out = out or path_for(sender)
    sender.manage("bundle", "export", "--to", receiver.node_id, "--out", str(out), "--quiet")
    return out


def import_(node: Node, path: Path, ack: Path | None = None, check: bool = True) -> str:
    args = ["bundle", "import", str(path), "--quiet"] + (["--ack-out", str(ack)] if ack else [])
    return node.manage(*args, check=check)


def refused(node: Node, path: Path) -> str:
    """Import ``path`` on ``node`` expecting a refusal: the message it printed."""
    import subprocess
    import sys

    from .nodes import REPO

    done = subprocess.run([sys.executable, "manage.py", "bundle", "import", str(path), "--quiet"],
                          cwd=REPO, env=node.env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0, done.stdout
    return done.stderr.strip()


def carry(sender: Node, receiver: Node) -> str:
    """A bundle sender → receiver and its acknowledgement back: the import's output."""
    path = export(sender, receiver)
    ack = path_for(receiver, "accuse")
    out = import_(receiver, path, ack)
    import_(sender, ack)
    return out


def cursors(node: Node, peer: Node) -> dict:
    return node.script(CURSORS % {"peer": peer.node_id})


def bundle_network(root: Path) -> tuple[Node, Node, Node]:
    national = Node(root, "national", "national")
    relay = Node(root, "relay", "relay")
    office = Node(root, "office", "office")
    for node in (national, relay, office):
        node.install()
    national.script(SETUP_NETWORK)
    link(national, relay, "ACE,BTA")
    carry(national, relay)  # the relay receives the network's configuration and users
    link(relay, office, "ACE")
    carry(relay, office)
    return national, relay, office
