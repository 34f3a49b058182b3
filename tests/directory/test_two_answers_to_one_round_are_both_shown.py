"""Two nodes that filled the same structure's questionnaire for one round before they
synced hold two answers after the sync: the round's page shows the newest and, beside it,
the other one and what it says differently — never the newest alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yiri.directory import services
from yiri.directory.models import InventoryResponse
from yiri.formconfig.schema import get_schema
from yiri.sync.log import save_logged

from ..web.helpers import client_for, text_of
from .data import Directory

pytestmark = pytest.mark.django_db


def answered_elsewhere(user, inv_round, site, answers, day):
    """The row the other node made, as the sync brings it here (its own id)."""
    row = InventoryResponse(round=inv_round, site=site, answers=answers, filled_on=day,
                            form_version=get_schema("inventory").version)
    save_logged(user, row, created=True)
    return row


def test_the_other_answer_and_its_differences_are_shown_beside_the_newest(cast):
    d = Directory(cast)
    inv = services.open_round(cast.coordinator, cast.cell, "Inventaire de mars", dt.date(2026, 3, 2))
    services.fill_inventory(cast.coordinator, inv, d.telecentre,
                            {"computers_working": 5, "connectivity": "none"})
    answered_elsewhere(cast.coordinator, inv, d.telecentre,
                       {"computers_working": 3, "connectivity": "none"}, dt.date(2026, 3, 3))

    page = text_of(client_for(cast.relay).get(reverse("directory_round", args=[inv.pk])))

    assert "Une autre réponse à ce tour" in page
    assert "Ordinateurs en état de marche : 3 (ci-dessus : 5)" in page
    assert InventoryResponse.objects.filter(round=inv, site=d.telecentre).count() == 2


def test_a_single_answer_shows_no_notice(cast):
    d = Directory(cast)
    inv = services.open_round(cast.coordinator, cast.cell, "Inventaire d'avril", dt.date(2026, 4, 2))
    services.fill_inventory(cast.coordinator, inv, d.telecentre,
                            {"computers_working": 5, "connectivity": "daily"})
    page = text_of(client_for(cast.relay).get(reverse("directory_round", args=[inv.pk])))
    assert "Une autre réponse à ce tour" not in page
