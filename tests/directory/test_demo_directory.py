"""The demo directory (``manage.py load_demo``): telecentres placed on the map, profiles
with one withheld consent, a training with commitments, two inventory rounds whose
answers differ; loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from yiri.demo.directory import create_directory
from yiri.demo.network import create_network
from yiri.directory import services
from yiri.directory.models import Commitment, InventoryRound, Person, Site, SiteKind

pytestmark = pytest.mark.django_db


def test_the_demo_directory_is_complete_and_loads_once():
    create_network(seed=1, n_workers=1)
    first = create_directory(dt.date(2026, 11, 1))
    assert create_directory(dt.date(2026, 11, 1)) == first
    assert Site.objects.filter(kind=SiteKind.TELECENTRE).count() == 6
    assert Site.objects.filter(kind=SiteKind.ORGANISATION, agency__isnull=False).count() == 5
    assert all(s.has_position for s in Site.objects.all())
    assert Person.objects.filter(consent=False).count() == 1
    assert Commitment.objects.count() == 5
    latest = InventoryRound.objects.order_by("-opened_on").first()
    changed = [row for row in services.round_overview(latest) if row["changes"]]
    assert changed, "the demo shows what changed since the previous round"
