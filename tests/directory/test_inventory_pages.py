"""Inventory pages: the questionnaire comes from the form engine; a wrong answer is shown
next to its field and nothing is saved (what was typed stays); the round's page shows the
latest answers and what changed since the cell's previous round."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yiri.directory import services
from yiri.directory.models import InventoryResponse

from ..web.helpers import client_for, text_of
from .data import Directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rounds(cast):
    d = Directory(cast)
    first = services.open_round(cast.coordinator, cast.cell, "Inventaire de janvier", dt.date(2026, 1, 5))
    services.fill_inventory(cast.coordinator, first, d.telecentre,
                            {"computers_working": 6, "connectivity": "intermittent"})
    second = services.open_round(cast.coordinator, cast.cell, "Inventaire de juillet", dt.date(2026, 7, 5))
    return d, first, second


def test_a_wrong_answer_is_shown_and_nothing_is_saved(rounds):
    d, _first, second = rounds
    c = client_for(d.cast.relay)
    url = reverse("directory_round_fill", args=[second.pk, d.telecentre.pk])
    page = c.get(url)
    assert "Ordinateurs en état de marche" in text_of(page)  # the form engine's question
    response = c.post(url, {"computers_working": "douze", "connectivity": "daily",
                            "difficulties": "Coupures fréquentes"})
    assert response.status_code == 200
    assert "Saisissez un nombre" in text_of(response)
    assert "Coupures fréquentes" in response.content.decode()  # what was typed stays
    assert not InventoryResponse.objects.filter(round=second).exists()


def test_the_round_shows_the_answers_and_what_changed_since_the_previous_round(rounds):
    d, _first, second = rounds
    c = client_for(d.cast.relay)
    url = reverse("directory_round_fill", args=[second.pk, d.telecentre.pk])
    response = c.post(url, {"computers_working": "8", "connectivity": "daily", "services": ["internet", "printing"]})
    assert response.status_code == 302
    page = text_of(c.get(reverse("directory_round", args=[second.pk])))
    assert "Changements depuis le tour précédent" in page
    assert "Ordinateurs en état de marche : 6 → 8" in page
    assert "Connexion à Internet : Intermittente → Quotidienne" in page
    assert "réponses : 1 sur 2 structures" in page  # Action Enfance has not answered yet


def test_a_training_names_no_participant_whose_profile_is_unpublished(rounds):
    from yiri.directory.models import Training

    d, _f, _s = rounds
    training = services.save_training(d.cast.coordinator, Training(
        title="Atelier", themes=["website"], start_date=dt.date(2026, 2, 1)))
    services.add_participant(d.cast.coordinator, training, site=d.telecentre, person=d.withheld)
    page = text_of(client_for(d.cast.worker).get(reverse("directory_training", args=[training.pk])))
    assert "Nikiéma" not in page and "Participant·e (profil masqué)" in page
