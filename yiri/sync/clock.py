"""This node's hybrid logical clock (Kulkarni et al., 2014), shared by every process.

A stamp is one integer: wall-clock milliseconds shifted left 16 bits, plus a logical
counter in the low bits. Stamps compare as numbers; two nodes' equal stamps are told apart
by the operations' origin (``later``). The last stamp, the operation counter and the
arrival number live in one database row (``ClockState``) that each write locks, so two
processes never issue the same stamp or counter, a restart continues where the node
stopped, and a wall clock stepping back never gives a later operation an earlier stamp.

A stamp from another node moves this clock forward (``observe``), unless it is further in
the future than ``YIRI_SYNC_MAX_CLOCK_AHEAD`` seconds: one office with a wrong date must
not push every clock of the network years ahead. Such operations are quarantined with a
message naming the node (``sync.apply``).
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.db import transaction

from .models import ClockState

LOGICAL_BITS = 16
LOGICAL_MAX = (1 << LOGICAL_BITS) - 1


def wall_ms() -> int:
    return int(time.time() * 1000)


def stamp_of(wall: int, logical: int = 0) -> int:
    return (wall << LOGICAL_BITS) | logical


def stamp_time(stamp: int) -> dt.datetime:
    """When a stamp was issued (its wall-clock part), in UTC."""
    return dt.datetime.fromtimestamp((int(stamp) >> LOGICAL_BITS) / 1000, tz=dt.UTC)


def parse(value) -> int | None:
    """A stamp as forms and the API carry it (digits); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


class ClockAhead(Exception):
    """A remote stamp too far in the future."""


def _next(last: int) -> int:
    now = stamp_of(wall_ms())
    return now if now > last else last + 1


def _locked() -> ClockState:
    state = ClockState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        ClockState.objects.get_or_create(pk=1)
        state = ClockState.objects.select_for_update().get(pk=1)
    return state


def allocate(count: int) -> list[tuple[int, int, int]]:
    """Reserve ``count`` (counter, stamp, seq) triples for operations this node writes
    in the caller's transaction. The lock is held until it commits, so arrival order
    (``seq``) is commit order: a peer reading up to seq N never misses an earlier one."""
    if count <= 0:
        return []
    with transaction.atomic():
        state = _locked()
        out = []
        stamp = state.stamp
        for i in range(1, count + 1):
            stamp = _next(stamp)
            out.append((state.counter + i, stamp, state.seq + i))
        ClockState.objects.filter(pk=1).update(stamp=stamp, counter=state.counter + count,
                                              seq=state.seq + count)
    return out


def allocate_seq(count: int) -> range:
    """Reserve arrival numbers for operations received from other nodes."""
    with transaction.atomic():
        state = _locked()
        ClockState.objects.filter(pk=1).update(seq=state.seq + count)
    return range(state.seq + 1, state.seq + count + 1)


def max_ahead_ms() -> int:
    return int(getattr(settings, "YIRI_SYNC_MAX_CLOCK_AHEAD", 24 * 3600)) * 1000


def check_remote(stamp: int, origin: str) -> None:
    """Refuse a stamp further ahead of this node's wall clock than allowed."""
    ahead = (int(stamp) >> LOGICAL_BITS) - wall_ms()
    if ahead > max_ahead_ms():
        raise ClockAhead(
            f"Le nœud {origin} date ses modifications de {ahead // 3_600_000} h dans le futur "
            f"(limite : {max_ahead_ms() // 3_600_000} h). Corrigez la date et l'heure de cet "
            "ordinateur ; ses modifications restent en quarantaine jusque-là.")


def observe(stamp: int) -> None:
    """Move this clock past a stamp received from another node (already checked)."""
    with transaction.atomic():
        state = _locked()
        if stamp > state.stamp:
            ClockState.objects.filter(pk=1).update(stamp=stamp)


def current() -> int:
    state = ClockState.objects.filter(pk=1).first()
    return state.stamp if state else 0


def later(stamp_a: int, origin_a: str, stamp_b: int, origin_b: str) -> bool:
    """Whether write a comes after write b: the same answer on every node."""
    return (int(stamp_a), origin_a) > (int(stamp_b), origin_b)
