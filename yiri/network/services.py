"""Writers for the network app."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F

from yiri.sync.models import seeded_id

from .models import Location, Node, Sequence

LOCATIONS_FILE = Path(__file__).parent / "data" / "locations.csv"
# Raised by a data migration that changes shipped locations; the file holds its result.
LOCATIONS_VERSION = 1


def next_numbers(name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive numbers of a per-node sequence (call inside a transaction)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + count)
        end = Sequence.objects.values_list("value", flat=True).get(name=name)
    return range(end - count + 1, end + 1)


@transaction.atomic
def load_locations(path: Path = LOCATIONS_FILE) -> int:
    """Create the places of a CSV of ``code,parent,level,name`` that are missing.

    Rows must come parent before child. A place that exists is never changed (an
    administrator may have renamed it). Returns the number of rows read.
    """
    existing = {loc.code: loc for loc in Location.objects.all()}
    count = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            code, parent_code = row["code"].strip(), (row["parent"] or "").strip()
            parent = existing.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                raise ValueError(f"{path.name} ligne {line_no}: parent inconnu {parent_code!r}")
            if code not in existing:
                loc = Location(id=seeded_id("location", code), code=code,
                               name=row["name"].strip(), level=row["level"].strip(), parent=parent)
                loc.save()
                existing[code] = loc
            count += 1
    return count


def node_code() -> str:
    """The prefix of this node's readable record ids: the code its parent assigned
    (``manage.py node join``), else ``YIRI_NODE_CODE``."""
    return local_node().code


def set_node_code(code: str) -> None:
    node = local_node()
    if Node.objects.filter(code=code).exclude(pk=node.pk).exists():
        raise ValueError(f"code {code} already used by another node")
    node.code = code
    node.save(update_fields=["code"])


def local_node() -> Node:
    """This installation's node row, created from the settings on first use."""
    node, _ = Node.objects.get_or_create(
        node_id=settings.YIRI_NODE_ID,
        defaults={
            "code": settings.YIRI_NODE_CODE,
            "kind": settings.YIRI_NODE_KIND,
            "name": f"Yiri {settings.YIRI_NODE_CODE}",
        },
    )
    return node
