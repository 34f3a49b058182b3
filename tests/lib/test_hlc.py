"""The hybrid logical clock never goes backwards and orders causally across nodes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yiri.lib.hlc import HybridLogicalClock, Timestamp


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=50))
def test_now_is_strictly_increasing_even_when_the_wall_clock_goes_back(walls):
    it = iter(walls)
    clock = HybridLogicalClock("n1", wall=lambda: next(it))
    stamps = [str(clock.now()) for _ in walls]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_after_observing_a_remote_stamp_the_next_one_sorts_after_it(local, remote):
    a = HybridLogicalClock("node-a", wall=lambda: local)
    b = HybridLogicalClock("node-b", wall=lambda: remote)
    sent = b.now()
    a.observe(str(sent))
    assert str(a.now()) > str(sent)


def test_a_stamp_survives_a_round_trip_through_text():
    stamp = Timestamp(1795362155908, 3, "abc-def")
    assert Timestamp.parse(str(stamp)) == stamp
