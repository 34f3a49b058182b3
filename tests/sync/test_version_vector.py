"""``manage.py sync vector``: per origin node, the highest operation number held and how
many are missing — to compare two nodes by origin."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command

from yiri.sync import scope
from yiri.sync.apply import apply_operations, from_wire, to_wire
from yiri.sync.models import Operation

from ..conftest import make_case


def test_the_vector_names_each_origin_with_its_highest_number_and_its_gaps(cast, capsys):
    make_case(cast.worker)
    mine = Operation.objects.filter(origin_node=settings.YIRI_NODE_ID)
    highest = max(op.counter for op in mine)
    vector = scope.version_vector()
    assert vector[settings.YIRI_NODE_ID] == (highest, mine.count())
    # Operations of another office: numbers 1 and 3 arrived, 2 did not.
    template = to_wire(mine.order_by("-counter").first())
    for counter in (1, 3):
        wire = {**template, "o": "bureau-kaya", "c": counter}
        apply_operations([from_wire(wire, received_from="relais")], received_from="relais")
    assert scope.version_vector()["bureau-kaya"] == (3, 2)
    call_command("sync", "vector")
    out = capsys.readouterr().out
    assert "bureau-kaya 3 (1 manquante(s))" in out
