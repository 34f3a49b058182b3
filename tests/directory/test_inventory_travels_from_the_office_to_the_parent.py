"""An inventory filled on an office node reaches its parent by sync, like case data.

National → office (ACE), each its own server process and database, over real HTTP. The
coordination lists a telecentre and opens two inventory rounds on the national node; the
office receives them at its next sync, its relay-cell data manager fills the
questionnaire there (validated by the form engine) without any exchange with the
national node, then syncs: the national node holds the answers, who wrote them, and what changed
since the previous round.
"""

from __future__ import annotations

import pytest

from ..sync.nodes import SETUP_NETWORK, Node, link

DIRECTORY = """
import datetime as dt
from yiri.accounts.models import User
from yiri.directory import services
from yiri.directory.models import Site, SiteKind
from yiri.network.models import Location, RelayCell
national = User.objects.get(username="national")
cell = RelayCell.objects.get(code="CRR-CEN")
site = services.save_site(national, Site(kind=SiteKind.TELECENTRE, name="Télécentre de Saaba",
                          place=Location.objects.get(code="BF-KAD-C04"), latitude=12.375,
                          longitude=-1.413, relay_cell=cell))
first = services.open_round(national, cell, "Inventaire 1", dt.date(2026, 1, 10))
services.fill_inventory(national, first, site, {"computers_working": 4, "connectivity": "none"})
second = services.open_round(national, cell, "Inventaire 2", dt.date(2026, 7, 10))
result = {"site": str(site.pk), "round": str(second.pk)}
"""

FILL = """
from yiri.accounts.models import User
from yiri.directory import services
from yiri.directory.models import InventoryRound, Site
from yiri.formconfig.validation import AnswersInvalid
relay = User.objects.get(username="relay")
inv = InventoryRound.objects.get(pk=%(round)r)
site = Site.objects.get(pk=%(site)r)
try:
    services.fill_inventory(relay, inv, site, {"computers_working": "beaucoup"})
    refused = False
except AnswersInvalid as exc:
    refused = sorted(exc.errors)
services.fill_inventory(relay, inv, site, {"computers_working": 9, "connectivity": "daily",
                                           "difficulties": "Coupures d'électricité"})
result = refused
"""

SEEN = """
from yiri.directory import services
from yiri.directory.models import InventoryResponse, InventoryRound
from yiri.sync.models import Operation
inv = InventoryRound.objects.get(pk=%(round)r)
row = [r for r in services.round_overview(inv) if str(r["site"].pk) == %(site)r][0]
response = row["response"]
op = Operation.objects.filter(entity_id=response.pk).order_by("seq").first() if response else None
from yiri.accounts.models import User
result = {
    "answers": response.answers if response else None,
    "changes": row["changes"],
    "author": User.objects.get(pk=op.author_id).username if op else None,
    "origin": op.origin_node if op else None,
}
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("directory-nodes")
    national = Node(root, "national", "national", postgres=True)
    office = Node(root, "office", "office")
    nodes = [national, office]
    try:
        for node in nodes:
            node.install()
        national.script(SETUP_NETWORK)
        ids = national.script(DIRECTORY)
        national.serve()
        link(national, office, "ACE")
        office.sync()  # the office receives the network's configuration and the directory
        yield national, office, ids
    finally:
        for node in nodes:
            node.stop()


def test_an_inventory_filled_on_the_office_is_seen_on_the_parent_after_sync(network):
    national, office, ids = network
    # Filled on the office alone: no exchange with the national node until the sync.
    refused = office.script(FILL % ids)
    # The form engine refused a number in words and a missing required answer.
    assert refused == ["computers_working", "connectivity"]
    on_office = office.script(SEEN % ids)
    assert on_office["answers"]["computers_working"] == 9
    assert national.script(SEEN % ids)["answers"] is None  # not there before the sync
    office.sync()
    seen = national.script(SEEN % ids)
    assert seen["answers"] == {"computers_working": 9, "connectivity": "daily",
                               "difficulties": "Coupures d'électricité"}
    assert seen["author"] == "relay" and seen["origin"] == office.node_id
    assert ("computers_working", 4, 9) in [tuple(c) for c in seen["changes"]]
    assert ("connectivity", "none", "daily") in [tuple(c) for c in seen["changes"]]
