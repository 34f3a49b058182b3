"""The stamps of a row's fields, stored compactly.

In memory a field clock is ``{path: stamp}``. Stored (``field_clock`` columns) it is::

    {"t": [stamp, stamp, …],               # the distinct stamps, once each
     "f": {"sex": 0, "@owner": 1, …},       # plain paths -> index in "t"
     "k": [["_id", "service_type"], …],     # lists of row field names, once each
     "d": {"services": 0},                  # each subform's most common list
     "r": {"services": {"<row id>": 1,      # one stamp, the subform's usual fields
                        "<row id>": [1, 2], # one stamp, the fields of list 2
                        "<row id>": {"_id": 0, "implemented": 1}}}}  # several stamps

A case with 14 subform rows and two distinct stamps took 9.5 KB as a flat map of
56-character stamps; this takes about a sixth of it (``tests/sync/test_field_clock.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator


def decode(raw: dict | None) -> dict[str, int]:
    if not raw:
        return {}
    stamps = raw.get("t")
    if stamps is None:  # an old flat map (migrated, but be lenient)
        return {p: int(s) for p, s in raw.items() if isinstance(s, int)}
    names = raw.get("k") or []
    defaults = raw.get("d") or {}
    out: dict[str, int] = {p: stamps[i] for p, i in (raw.get("f") or {}).items()}
    for code, rows in (raw.get("r") or {}).items():
        for row_id, entry in rows.items():
            if isinstance(entry, dict):
                pairs = [(name, stamps[i]) for name, i in entry.items()]
            else:
                i, k = (entry, defaults[code]) if isinstance(entry, int) else entry
                pairs = [(name, stamps[i]) for name in names[k]]
            for name, stamp in pairs:
                out[f"{code}/{row_id}/{name}"] = stamp
    return out


def encode(clock: dict[str, int]) -> dict:
    if not clock:
        return {}
    stamps = sorted(set(clock.values()))
    index = {s: i for i, s in enumerate(stamps)}
    plain: dict[str, int] = {}
    rows: dict[str, dict[str, dict[str, int]]] = {}
    for path, stamp in clock.items():
        parts = path.split("/")
        if len(parts) == 3:
            rows.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = index[stamp]
        else:
            plain[path] = index[stamp]
    out: dict = {"t": stamps}
    if plain:
        out["f"] = plain
    if not rows:
        return out
    # Rows whose fields share one stamp are stored as that stamp's index and the list of
    # their field names, each distinct list once ("k"); the most common list of a subform
    # is its default ("d") and is not repeated per row.
    name_lists: list[tuple] = []
    where: dict[tuple, int] = {}
    packed: dict[str, dict] = {}
    defaults: dict[str, int] = {}
    for code, by_row in rows.items():
        uniform = {row: tuple(sorted(f)) for row, f in by_row.items() if len(set(f.values())) == 1}
        for names in uniform.values():
            if names not in where:
                where[names] = len(name_lists)
                name_lists.append(names)
        if uniform:
            defaults[code] = where[Counter(uniform.values()).most_common(1)[0][0]]
        packed[code] = {}
        for row_id, fields in by_row.items():
            if row_id not in uniform:
                packed[code][row_id] = fields
                continue
            i = next(iter(fields.values()))
            k = where[uniform[row_id]]
            packed[code][row_id] = i if k == defaults[code] else [i, k]
    out["r"] = packed
    out["k"] = [list(n) for n in name_lists]
    out["d"] = defaults
    return out


class FieldClock:
    """``{path: stamp}`` of one row, read from and written back to its stored form."""

    def __init__(self, raw: dict | None = None) -> None:
        self.stamps = decode(raw)

    def get(self, path: str) -> int | None:
        return self.stamps.get(path)

    def set(self, paths: Iterable[str], stamp: int) -> None:
        for p in paths:
            self.stamps[p] = stamp

    def drop(self, paths: Iterable[str]) -> None:
        for p in paths:
            self.stamps.pop(p, None)

    def items(self) -> Iterator[tuple[str, int]]:
        return iter(self.stamps.items())

    def encoded(self) -> dict:
        return encode(self.stamps)


def read(obj) -> FieldClock:
    return FieldClock(obj.field_clock)


def stamp_map(obj) -> dict[str, str]:
    """Every stamp of ``obj`` as digits, by path."""
    return {p: str(s) for p, s in FieldClock(obj.field_clock).items()}


def stamp_strings(clock: FieldClock, paths: Iterable[str]) -> dict[str, str | None]:
    """Stamps as forms and the API carry them: digits, ``None`` for never written."""
    return {p: (str(clock.get(p)) if clock.get(p) is not None else None) for p in paths}
