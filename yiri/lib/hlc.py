"""Hybrid logical clock (Kulkarni et al., 2014).

Timestamps are strings that sort in causal order across nodes:
``"<wall milliseconds, 13 digits>.<logical counter, 5 digits>.<node id>"``. Comparing two
timestamps as strings gives the same answer on every node, which is what the per-field merge
needs to pick one winner everywhere. The node id breaks exact ties.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    logical: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}.{self.logical:05d}.{self.node}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        try:
            wall, logical, node = text.split(".", 2)
            return cls(int(wall), int(logical), node)
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"not a clock timestamp: {text!r}") from exc


class HybridLogicalClock:
    """A clock for one node. Thread-safe; ``now`` never goes backwards."""

    def __init__(self, node: str, wall=lambda: int(time.time() * 1000)) -> None:
        self.node = node
        self._wall = wall
        self._last = Timestamp(0, 0, node)
        self._lock = threading.Lock()

    def now(self) -> Timestamp:
        with self._lock:
            wall = self._wall()
            if wall > self._last.wall_ms:
                self._last = Timestamp(wall, 0, self.node)
            else:
                self._last = Timestamp(self._last.wall_ms, self._last.logical + 1, self.node)
            return self._last

    def observe(self, remote: Timestamp | str) -> None:
        """Move past a timestamp seen from another node (or from our own log at start-up)."""
        if isinstance(remote, str):
            remote = Timestamp.parse(remote)
        with self._lock:
            if (remote.wall_ms, remote.logical) > (self._last.wall_ms, self._last.logical):
                self._last = Timestamp(remote.wall_ms, remote.logical, self.node)
