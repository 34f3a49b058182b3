"""Writers for the network app."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .models import Location, Node, Sequence

LOCATIONS_FILE = Path(__file__).parent / "data" / "locations.csv"


def next_numbers(name: str, count: int = 1) -> range:
    """Reserve ``count`` consecutive numbers of a per-node sequence (call inside a transaction)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + count)
        end = Sequence.objects.values_list("value", flat=True).get(name=name)
    return range(end - count + 1, end + 1)


@transaction.atomic
def load_locations(path: Path = LOCATIONS_FILE) -> int:
    """Load (or update) the location hierarchy from a CSV of ``code,parent,level,name``.

    Rows must come parent before child. Returns the number of rows read.
    """
    existing = {loc.code: loc for loc in Location.objects.all()}
    count = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            code, parent_code = row["code"].strip(), (row["parent"] or "").strip()
            parent = existing.get(parent_code) if parent_code else None
            if parent_code and parent is None:
                raise ValueError(f"{path.name} ligne {line_no}: parent inconnu {parent_code!r}")
            loc = existing.get(code) or Location(code=code)
            loc.name, loc.level, loc.parent = row["name"].strip(), row["level"].strip(), parent
            loc.save()
            existing[code] = loc
            count += 1
    return count


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
