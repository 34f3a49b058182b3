"""The one merge: three-way, per field, from the stamps.

A stale form in a browser and an operation from another node are the same problem. Both
say, for each field path they write, the value they want (*mine*), the value they started
from (*base*) and the stamp of the write that value came from (*base stamp*). The stored
record gives the value now (*theirs*) and its stamp. Then, per path:

- the stamps agree: nobody wrote the field since the base was read, *mine* goes through;
- *mine* equals *base*: this writer did not change the field, whatever happened since is
  kept (the field is not written);
- *mine* equals *theirs*: both made the same change, nothing to write;
- otherwise both changed the field to different values: a **conflict**, never decided
  silently. The web refuses it and shows both values; sync (the next issue) picks the same
  winner on every node and keeps the loser visible.

Paths a writer sends without a base stamp are *blind* writes (the writer did not say what
it started from): they go through as they are; callers that must not allow them check
before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MISSING = object()


@dataclass(frozen=True)
class Conflict:
    """One field changed both here (``mine``) and elsewhere (``theirs``) since ``base``."""

    path: str
    base: Any
    theirs: Any
    mine: Any
    their_stamp: str | None


@dataclass
class Merge:
    """``apply``: the paths to write with their values; ``conflicts``: the clashes;
    ``kept``: paths this writer did not change where a newer value was kept."""

    apply: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def same(a: Any, b: Any) -> bool:
    """Equality of answers as a person means it: empty is empty ("", [], None), and the
    order of a multi-select's choices does not matter."""
    empty = (None, "", [])
    if a in empty and b in empty:
        return True
    if isinstance(a, list) and isinstance(b, list):
        try:
            return sorted(a) == sorted(b)
        except TypeError:
            return a == b
    return a == b


def three_way(
    mine: Mapping[str, Any],
    base: Mapping[str, Any],
    base_stamps: Mapping[str, str | None],
    theirs: Mapping[str, Any],
    their_stamps: Mapping[str, str | None],
) -> Merge:
    """Merge ``mine`` (path -> wanted value) into the stored state.

    ``base`` holds the starting value of every path whose base stamp differs from its
    stamp in ``their_stamps`` (other paths may be absent: their base is ``theirs``).
    A path absent from ``base_stamps`` is a blind write.
    """
    out = Merge()
    for path in sorted(mine):
        wanted = mine[path]
        now = theirs.get(path)
        if path not in base_stamps:
            if not same(wanted, now):
                out.apply[path] = wanted
            continue
        if base_stamps[path] == their_stamps.get(path):
            if not same(wanted, now):
                out.apply[path] = wanted
            continue
        started = base.get(path, MISSING)
        if started is MISSING:
            raise KeyError(f"three_way: no base value for {path!r}, whose stamp changed")
        if same(wanted, started):
            if not same(now, started):
                out.kept.append(path)
            continue
        if same(wanted, now):
            continue
        if same(now, started):  # rewritten meanwhile, but to the same value: no clash
            out.apply[path] = wanted
            continue
        out.conflicts.append(Conflict(path, started, now, wanted, their_stamps.get(path)))
    return out
