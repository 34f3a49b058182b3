"""Every page of the directory refuses an outsider (GET and POST), and each right grants
exactly its part: a supervisor (``record_trainings``) records a training but edits no
entry and runs no inventory; a relay-cell data manager edits the entries of their own
cell only; a case worker reads and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yiri.directory import services
from yiri.directory.models import Participant, Site, SiteKind, Training
from yiri.network.models import RelayCell

from ..web.helpers import client_for
from .data import Directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(cast):
    d = Directory(cast)
    d.training = services.save_training(cast.coordinator, Training(
        title="Atelier sécurité", themes=["data_security"], start_date=dt.date(2026, 1, 5)))
    d.participant = services.add_participant(cast.coordinator, d.training, site=d.telecentre,
                                             person=d.listed)
    d.round = services.open_round(cast.coordinator, cast.cell, "Inventaire 2026")
    return d


def every_url(d) -> list[str]:
    return [
        reverse("directory"), reverse("directory_export", args=["csv"]),
        reverse("directory_export", args=["xlsx"]), reverse("directory_export", args=["geojson"]),
        reverse("directory_map"), reverse("directory_site_new"),
        reverse("directory_site", args=[d.telecentre.pk]),
        reverse("directory_site_edit", args=[d.telecentre.pk]),
        reverse("directory_person_new", args=[d.telecentre.pk]),
        reverse("directory_people"), reverse("directory_person_edit", args=[d.listed.pk]),
        reverse("directory_trainings"), reverse("directory_training_new"),
        reverse("directory_report"), reverse("directory_training", args=[d.training.pk]),
        reverse("directory_training_edit", args=[d.training.pk]),
        reverse("directory_commitment_new", args=[d.participant.pk]),
        reverse("directory_rounds"), reverse("directory_round", args=[d.round.pk]),
        reverse("directory_round_fill", args=[d.round.pk, d.telecentre.pk]),
    ]


def test_every_directory_page_refuses_an_outsider(directory):
    for outsider in (directory.cast.outsider, directory.cast.partner):
        c = client_for(outsider)
        for url in every_url(directory):
            assert c.get(url).status_code == 403, url
            assert c.post(url, {"name": "x", "add": "1"}).status_code == 403, url
    assert Site.objects.count() == 2 and Participant.objects.count() == 1


def test_a_case_worker_reads_the_directory_but_changes_nothing(directory):
    c = client_for(directory.cast.worker)
    assert c.get(reverse("directory_site", args=[directory.telecentre.pk])).status_code == 200
    assert c.get(reverse("directory_report")).status_code == 200
    for url in (reverse("directory_site_new"), reverse("directory_site_edit", args=[directory.telecentre.pk]),
                reverse("directory_training_new"), reverse("directory_rounds"),
                reverse("directory_round", args=[directory.round.pk])):
        assert c.get(url).status_code == 403, url
    response = c.post(reverse("directory_training", args=[directory.training.pk]),
                      {"add": "1", "name": "Quelqu'un", "site": directory.telecentre.pk})
    assert response.status_code == 403
    assert Participant.objects.count() == 1


def test_a_supervisor_records_trainings_but_edits_no_entry_and_runs_no_inventory(directory):
    c = client_for(directory.cast.manager)
    response = c.post(reverse("directory_training", args=[directory.training.pk]),
                      {"add": "1", "name": "Awa Sanou", "site": directory.member.pk, "attended": "on"})
    assert response.status_code == 302
    assert Participant.objects.filter(name="Awa Sanou", attended=True).exists()
    assert c.get(reverse("directory_site_edit", args=[directory.telecentre.pk])).status_code == 403
    assert c.get(reverse("directory_rounds")).status_code == 403


def test_a_relay_data_manager_edits_the_entries_of_their_own_cell_only(directory):
    cast = directory.cast
    other_cell = RelayCell.objects.create(code="CRR-EST", name="Cellule de relais de l'Est")
    elsewhere = services.save_site(cast.coordinator, Site(
        kind=SiteKind.TELECENTRE, name="Télécentre de Fada", relay_cell=other_cell))
    c = client_for(cast.relay)
    assert c.get(reverse("directory_site_edit", args=[directory.telecentre.pk])).status_code == 200
    assert c.get(reverse("directory_site_edit", args=[elsewhere.pk])).status_code == 403
    other_round = services.open_round(cast.coordinator, other_cell, "Inventaire Est")
    assert c.get(reverse("directory_round", args=[directory.round.pk])).status_code == 200
    assert c.get(reverse("directory_round", args=[other_round.pk])).status_code == 403
    # An entry of their own cell is saved.
    response = c.post(reverse("directory_site_edit", args=[directory.telecentre.pk]), {
        "kind": "telecentre", "name": "Télécentre de Tanghin", "connectivity": "daily",
        "relay_cell": cast.cell.pk})
    assert response.status_code == 302
    directory.telecentre.refresh_from_db()
    assert directory.telecentre.name == "Télécentre de Tanghin"
