"""The stamps of a row's fields, stored compactly.

In memory a field clock is ``{path: stamp}``. Stored (``field_clock`` columns) it is::

    {"t": [stamp, stamp, …],               # the distinct stamps, once each
     "f": {"sex": 0, "@owner": 1, …},       # plain paths -> index in "t"
     "r": {"services": {"<row id>": 1,      # a subform row whose fields share one stamp
                        "<row id>": {"_id": 0, "implemented": 1}}}}

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
    out: dict[str, int] = {p: stamps[i] for p, i in (raw.get("f") or {}).items()}
    for code, rows in (raw.get("r") or {}).items():
        for row_id, entry in rows.items():
            if isinstance(entry, int):
                for name in entry_fields(raw, code, row_id):
                    out[f"{code}/{row_id}/{name}"] = stamps[entry]
            else:
                for name, i in entry.items():
                    out[f"{code}/{row_id}/{name}"] = stamps[i]
    return out


def entry_fields(raw: dict, code: str, row_id: str) -> list[str]:
    return (raw.get("n") or {}).get(code, {}).get(row_id, [])


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
    if rows:
        packed: dict[str, dict] = {}
        names: dict[str, dict] = {}
        for code, by_row in rows.items():
            packed[code] = {}
            for row_id, fields in by_row.items():
                if len(set(fields.values())) == 1:
                    packed[code][row_id] = next(iter(fields.values()))
                    names.setdefault(code, {})[row_id] = sorted(fields)
                else:
                    packed[code][row_id] = fields
        out["r"] = packed
        if names:
            # The field names of rows stored as one index, written once per distinct list.
            out["n"] = names
    return _share_names(out)


def _share_names(out: dict) -> dict:
    """Rows of one subform mostly have the same fields: store each list once (``"k"``)."""
    names = out.get("n")
    if not names:
        return out
    lists: Counter = Counter(tuple(v) for rows in names.values() for v in rows.values())
    shared = [list(k) for k, _ in lists.most_common()]
    where = {tuple(k): i for i, k in enumerate(shared)}
    out["k"] = shared
    out["n"] = {code: {row: where[tuple(v)] for row, v in rows.items()} for code, rows in names.items()}
    return out


class FieldClock:
    """``{path: stamp}`` of one row, read from and written back to its stored form."""

    def __init__(self, raw: dict | None = None) -> None:
        if raw and "k" in raw:
            raw = dict(raw)
            shared = raw["k"]
            raw["n"] = {code: {row: shared[i] for row, i in rows.items()}
                        for code, rows in (raw.get("n") or {}).items()}
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
