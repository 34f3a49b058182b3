"""One clock per node, shared by its processes and kept across restarts."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.conftest import make_case
from yiri.sync import clock
from yiri.sync.apply import apply_operations, from_wire
from yiri.sync.models import ClockState, Operation, Quarantine


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_share_a_stamp_or_a_counter():
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("threads need a database file")
    results: list = []
    errors: list = []

    def writer():
        from django.db import connections
        try:
            for _ in range(20):
                results.extend(clock.allocate(3))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    counters = [c for c, _, _ in results]
    stamps = [s for _, s, _ in results]
    seqs = [q for _, _, q in results]
    assert len(set(counters)) == len(set(stamps)) == len(set(seqs)) == 4 * 20 * 3


def test_a_wall_clock_stepping_back_never_gives_an_earlier_stamp(db, monkeypatch):
    (_, first, _), = clock.allocate(1)
    monkeypatch.setattr(clock, "wall_ms", lambda: (first >> clock.LOGICAL_BITS) - 3_600_000)
    (_, second, _), = clock.allocate(1)
    assert second > first


def test_the_last_stamp_survives_a_restart(db):
    (counter, stamp, seq), = clock.allocate(1)
    state = ClockState.objects.get()
    assert (state.counter, state.stamp, state.seq) == (counter, stamp, seq)


def test_a_stamp_is_a_number_that_tells_its_time(db):
    (_, stamp, _), = clock.allocate(1)
    assert isinstance(stamp, int) and len(str(stamp)) <= 19
    assert abs(clock.stamp_time(stamp).timestamp() - clock.wall_ms() / 1000) < 60


def test_a_change_dated_years_ahead_is_quarantined_with_the_nodes_name(cast):
    case = make_case(cast.worker)
    future = clock.stamp_of(clock.wall_ms() + 3 * 365 * 86_400_000)
    op = from_wire({"o": "bureau-date-fausse", "c": 1, "h": future, "e": "case",
                    "i": str(case.pk), "k": "u", "t": "case",
                    "x": {"risk_level": ["high", None, None]}}, received_from="relais")
    before = clock.current()
    report = apply_operations([op], received_from="relais")
    assert report.quarantined == 1 and report.applied == 0
    held = Quarantine.objects.get()
    assert "bureau-date-fausse" in held.reason and "futur" in held.reason
    assert clock.current() == before  # the node's clock did not jump
    assert not Operation.objects.filter(origin_node="bureau-date-fausse").exists()
    case.refresh_from_db()
    assert case.risk_level == ""


def test_a_change_slightly_ahead_moves_the_clock_forward(cast):
    case = make_case(cast.worker)
    ahead = clock.stamp_of(clock.wall_ms() + 3_600_000)
    op = from_wire({"o": "bureau", "c": 1, "h": ahead, "e": "case", "i": str(case.pk),
                    "k": "u", "t": "case", "x": {"risk_level": ["high", None, None]}},
                   received_from="relais")
    apply_operations([op], received_from="relais")
    (_, mine, _), = clock.allocate(1)
    assert mine > ahead
