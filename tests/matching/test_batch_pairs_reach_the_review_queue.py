"""The pairs a batch deduplication run finds go to the review queue (source "Recherche
des doublons"), where the data manager merges or sets them aside; a pair set aside is not
queued again by the next run."""

from __future__ import annotations

import pytest

from yiri.matching import jobs
from yiri.matching.models import MatchCandidate, MatchSource
from yiri.matching.review import access_candidate, not_the_same
from yiri.matching.review import queue as queue_of

from ..web.helpers import client_for, text_of
from .test_dedupe_job import planted  # noqa: F401 - the fixture


@pytest.fixture
def inline(monkeypatch):
    monkeypatch.setattr(jobs, "BACKGROUND", False)


def test_a_run_s_pairs_are_reviewed_in_the_queue(cast, planted, inline):  # noqa: F811
    first, second, _others, abroad = planted
    client = client_for(cast.relay)
    client.post("/doublons/lancer/")
    pair = MatchCandidate.objects.get(source=MatchSource.BATCH,
                                      record_id__in=[first.pk, second.pk],
                                      other_id__in=[first.pk, second.pk])
    queue = text_of(client.get("/doublons/a-examiner/"))
    assert first.short_id in queue and second.short_id in queue
    assert abroad.short_id not in queue
    not_the_same(cast.relay, access_candidate(cast.relay, pair.pk))
    client.post("/doublons/lancer/")
    assert MatchCandidate.objects.filter(pair_key=pair.pair_key).count() == 1
    assert pair.pair_key not in {e.candidate.pair_key for e in queue_of(cast.relay)}
