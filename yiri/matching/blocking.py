"""Blocking: which pairs of records are worth scoring.

Scoring every pair of a million records is 5·10¹¹ comparisons; blocking scores only the
pairs that share at least one *key* under one of several rules, each rule catching what
the others miss: the phonetic keys of both names (in either order, for swapped names)
with the birth year or the commune; the given name's key with the village; the mother's
name with the commune; the village, birth year and sex (for a name mangled beyond its
phonetic key)… Together they must let through at least 99 % of the true duplicate pairs
(``manage.py matching evaluate`` prints this "blocking recall").

A key shared by more than ``MAX_BLOCK`` records (a very common name in a big commune)
is too coarse to say anything: its block is skipped, the other rules cover its pairs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .scoring import Table, unique_sorted

MAX_BLOCK = 50

Part = Callable[[Table], "np.ndarray | list[np.ndarray]"]  # per record a key, 0 = blank


def _pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The two keys in either order (names swapped), 0 if either is blank."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return np.where((lo != 0) & (hi != 0), lo * (1 << 24) + hi + 1, 0)


def _names(t: Table) -> np.ndarray:
    return _pair(t.name_ph1[t.given_id], t.name_ph1[t.family_id])


def _starts(t: Table) -> np.ndarray:
    """The first three letters of both phonetic keys (a typo late in a name)."""
    return _pair(t.name_ph3[t.given_id], t.name_ph3[t.family_id])


def _letters(t: Table) -> np.ndarray:
    """The first three letters of both names as written (a typo in a consonant)."""
    return _pair(t.name_pre3[t.given_id], t.name_pre3[t.family_id])


def _either_name(t: Table) -> list[np.ndarray]:
    return [t.name_ph1[t.given_id], t.name_ph1[t.family_id]]


def _years(t: Table) -> list[np.ndarray]:
    """Two keys whose sharing catches every pair of birth years at most one year apart
    (an estimated age): the year halved, rounded down and up."""
    y = t.year
    return [np.where(y != 0, (y // 2) * 2 + 2, 0), np.where(y != 0, ((y + 1) // 2) * 2 + 3, 0)]


def _years2(t: Table) -> list[np.ndarray]:
    """Three keys whose sharing catches every pair of birth years at most two years apart."""
    y = t.year
    return [np.where(y != 0, ((y + k) // 3) * 3 + k + 3, 0) for k in range(3)]


def _sex(t: Table) -> np.ndarray:
    return t.sex.astype(np.int64)


def _place(t: Table) -> np.ndarray:
    return t.place_id


def _commune(t: Table) -> np.ndarray:
    return np.where(t.commune_id != 0, t.commune_id, t.place_id)


def _province(t: Table) -> np.ndarray:
    return np.where(t.province_id != 0, t.province_id, _commune(t))


def _mother(t: Table) -> np.ndarray:
    return t.parent_ph[t.mother_id]


def _father(t: Table) -> np.ndarray:
    return t.parent_ph[t.father_id]


def _extras(t: Table) -> list[np.ndarray]:
    """Each other column's value (FEBRL's identifier, postcode...), one key space each."""
    return [np.where(ids != 0, ids * 64 + k + 1, 0) for k, (_, ids) in enumerate(t.extra.values())]


# A rule is a list of key parts: records sharing the first part form a block; a block of
# more than ``MAX_BLOCK`` records (a common name) is split by the next part (sex, then the
# birth year, then the place...), and so on; a block still too big at the end is dropped.
RULES: dict[str, list[Part]] = {
    # phonetic keys of both names, in either order (swapped names), then the sex, the
    # birth year (two years either side), the province, the commune
    "noms": [_names, _sex, _years2, _province, _commune],
    # ... the same with the birth year before the sex (a sex left blank)
    "noms+année": [_names, _years2, _province],
    "débuts": [_starts, _years2, _sex, _province],
    "lettres": [_letters, _years2, _province],
    # either name's key with the village (the other name mangled or blank)
    "un nom+lieu": [_either_name, _place, _sex, _years],
    # either name's key with the year and sex (the place only approximate)
    "un nom+année": [_either_name, _years, _sex, _province, _commune],
    # the mother's or the father's name (the child's names both mangled)
    "mère": [_mother, _years2, _province, _commune],
    "père": [_father, _years2, _province, _commune],
    # the village, the year and the sex (every name mangled)
    "lieu+année": [_place, _years, _sex],
    # any other column of a labelled file (an identifier, a postcode), then the names
    "autre champ": [_extras, _either_name, _years],
}

_MIX = np.uint64(0x9E3779B97F4A7C15)


def _rows(table: Table, part: Part, idx: np.ndarray, keys: np.ndarray | None):
    """(record, key) rows: ``idx``'s records under each of their values of ``part``,
    combined with their ``keys`` so far; blank values dropped."""
    values = part(table)
    arrays = values if isinstance(values, list) else [values]
    if not arrays:
        return idx[:0], np.zeros(0, dtype=np.uint64)
    out_idx, out_key = [], []
    for arr in arrays:
        v = arr[idx].astype(np.uint64)
        keep = v != 0
        if keys is None:
            k = v[keep]
        else:
            with np.errstate(over="ignore"):
                k = (keys[keep] * _MIX) ^ (v[keep] + np.uint64(0x632BE59BD9B4E019))
        out_idx.append(idx[keep])
        out_key.append(k)
    return np.concatenate(out_idx), np.concatenate(out_key)


def _emit(idx: np.ndarray, keys: np.ndarray, max_block: int):
    """Pairs of the blocks of at most ``max_block`` rows, and the rows of bigger ones."""
    order = np.argsort(keys)
    idx, keys = idx[order], keys[order]
    if len(keys) == 0:
        return [], idx, keys
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    starts = np.nonzero(first)[0]
    counts = np.diff(np.append(starts, len(keys)))
    chunks = []
    for size in np.unique(counts[(counts >= 2) & (counts <= max_block)]):
        s = starts[counts == size]
        members = idx[s[:, None] + np.arange(size)[None, :]]
        a, b = np.triu_indices(int(size), 1)
        chunks.append(np.stack([members[:, a].ravel(), members[:, b].ravel()], axis=1))
    big = np.repeat(counts > max_block, counts)
    return chunks, idx[big], keys[big]


def rule_pairs(table: Table, parts: list[Part], max_block: int = MAX_BLOCK) -> np.ndarray:
    """The pairs (``a < b``) of one rule, as codes ``a * n + b``."""
    n = table.n
    idx, keys = _rows(table, parts[0], np.arange(n, dtype=np.int64), None)
    chunks = []
    for depth in range(1, len(parts) + 1):
        got, idx, keys = _emit(idx, keys, max_block)
        chunks += got
        if len(idx) == 0 or depth == len(parts):
            break
        idx, keys = _rows(table, parts[depth], idx, keys)
    if not chunks:
        return np.zeros(0, dtype=np.int64)
    pairs = np.concatenate(chunks)
    lo, hi = pairs.min(axis=1), pairs.max(axis=1)
    keep = lo != hi
    return unique_sorted(lo[keep] * n + hi[keep])


def candidate_pairs(table: Table, rules: dict | None = None,
                    max_block: int = MAX_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """``(ia, ib)``: each candidate pair once, ``ia < ib`` (indices into ``table``)."""
    rules = RULES if rules is None else rules
    n = max(table.n, 1)
    codes = [rule_pairs(table, parts, max_block) for parts in rules.values()]
    codes = unique_sorted(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    return codes // n, codes % n


def candidates_for(table: Table, i: int, rules: dict | None = None,
                   max_block: int = MAX_BLOCK) -> set[int]:
    """The records blocked with record ``i`` (tests, diagnostics)."""
    ia, ib = candidate_pairs(table, rules, max_block)
    return set(ib[ia == i].tolist()) | set(ia[ib == i].tolist())
