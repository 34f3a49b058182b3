"""The duplicate-detection page: only for the roles with find_duplicates; a data manager
starts a run over the cases of their scope and sees the pairs with the reason per field;
a run's pairs are shown only where the viewer may see both cases."""

from __future__ import annotations

import pytest

from yiri.matching import jobs
from yiri.matching.models import DedupeRun

from ..web.helpers import client_for, text_of
from .test_dedupe_job import planted  # noqa: F401 - the fixture


@pytest.fixture
def inline(monkeypatch):
    monkeypatch.setattr(jobs, "BACKGROUND", False)


@pytest.mark.parametrize("who", ["outsider", "worker", "manager", "provider", "partner"])
def test_a_role_without_the_right_is_refused_every_page(cast, who):
    client = client_for(getattr(cast, who))
    run = DedupeRun.objects.create(status=DedupeRun.Status.DONE)
    assert client.get("/doublons/").status_code == 403
    assert client.get("/doublons/progression/").status_code == 403
    assert client.get(f"/doublons/{run.pk}/").status_code == 403
    assert client.post("/doublons/lancer/").status_code == 403
    assert DedupeRun.objects.count() == 1
    assert "/doublons/" not in client.get("/").content.decode()


def test_the_relay_data_manager_runs_it_and_reads_the_pairs_of_their_scope(cast, planted, inline):  # noqa: F811
    first, second, others, abroad = planted
    client = client_for(cast.relay)
    page = client.get("/doublons/")
    assert page.status_code == 200 and "Lancer la recherche de doublons" in text_of(page)
    response = client.post("/doublons/lancer/", follow=True)
    assert "Recherche de doublons lancée" in text_of(response)
    run = DedupeRun.objects.get()
    assert run.status == DedupeRun.Status.DONE and run.started_by_id == cast.relay.pk
    detail = text_of(client.get(f"/doublons/{run.pk}/"))
    assert first.short_id in detail and second.short_id in detail
    assert "Prénom : identique" in detail and "Père : non renseigné" in detail
    assert abroad.short_id not in detail
    # no name on the page: the links open the cases with the viewer's own rights
    assert "Wedraogo" not in detail


def test_a_narrower_scope_sees_only_the_pairs_it_may_see_of_a_wider_run(cast, planted, inline):  # noqa: F811
    first, second, others, abroad = planted
    run = jobs.start_run(cast.coordinator)  # national: every case
    jobs.execute(run.pk)
    everything = text_of(client_for(cast.coordinator).get(f"/doublons/{run.pk}/"))
    assert abroad.short_id in everything
    relay_view = text_of(client_for(cast.relay).get(f"/doublons/{run.pk}/"))
    assert first.short_id in relay_view and second.short_id in relay_view
    assert abroad.short_id not in relay_view


def test_a_second_start_while_one_runs_says_so(cast, planted):  # noqa: F811
    jobs.start_run(cast.coordinator)  # queued, not executed
    response = client_for(cast.relay).post("/doublons/lancer/", follow=True)
    assert "déjà en cours" in text_of(response)
    assert DedupeRun.objects.count() == 1
    progress = client_for(cast.relay).get("/doublons/progression/")
    assert 'hx-trigger="every 2s"' in progress.content.decode()
