"""Fellegi–Sunter scoring of two records: comparison levels per field, weights, explanation.

One comparison for everyone: the batch deduplication compares millions of pairs through
``compare`` on columns (``Table``), and ``score_pair``/``score_pairs`` — what the live
check, tracing and review call — build the same ``Table`` for their few records and go
through the same ``compare`` and the same ``Model``. A pair gets the same score in both.

For each field a pair falls in one *level* (exact, a phonetic or spelling variant, close,
different, or blank when either side is unknown). A model gives each level ``m`` (the
share of true duplicates at that level) and ``u`` (the share of unrelated pairs); the
level's weight is ``log2(m/u)``, the pair's weight their sum (blank levels weigh 0), and
its probability ``2^(w+prior) / (1 + 2^(w+prior))`` with ``prior = log2(λ/(1-λ))``.
``DEFAULT_MODEL`` holds hand-set values; ``em.train`` learns ``m``, ``u`` and ``λ`` from
the data; ``current_model()`` is the one learnt by the last finished deduplication run.

Term frequency: two records that both say "Ouédraogo" agree on a name one child in six
of the Mossi plateau has; agreeing on "Yempabou" says much more. For the exact and
phonetic levels of the given and family names the weight uses the share of that name
among the records (``Model.tf``) instead of the level's average ``u``, as Splink does.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cdist, cpdist

from yiri.lib import names as lib_names

from .person import Person

try:  # the names helper's normalisation and nickname table, when merged
    from . import names as _names  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - until yiri.matching.names lands
    _names = None


@lru_cache(maxsize=1 << 18)
def normalise(text: str) -> str:
    return lib_names.normalise(text)


@lru_cache(maxsize=1 << 18)
def phonetic(text: str) -> str:
    """The sound keys of every word (``yiri.lib.names.sound_key``: ou/w/u, y/i, tch/ch,
    dj/j, gb/kp, silent h and finals, doubled letters), sorted: word order does not
    matter."""
    return " ".join(sorted(k for k in (lib_names.sound_key(w) for w in normalise(text).split())
                           if k))


@lru_cache(maxsize=1)
def _shipped_variants() -> dict[str, str]:
    """form -> the group's first form, from the reviewed table shipped with the names
    module (used where the database, and the administrator's groups, are not at hand)."""
    out: dict[str, str] = {}
    if _names is None or not hasattr(_names, "shipped_groups"):
        return out
    for group in _names.shipped_groups():
        head = min(group)
        for form in group:
            out.setdefault(form, head)
    return out


def _variants_lookup():
    """How to find a name's group: the names module's table (shipped and administrators'
    groups) where the database answers, else the shipped table alone (a script)."""
    if _names is None or not hasattr(_names, "variants"):
        return lambda word: ""
    try:
        _names.variants("a")
    except Exception:  # noqa: BLE001 - no database here: the shipped table only
        shipped = _shipped_variants()
        return lambda word: shipped.get(word, "")

    def lookup(word: str) -> str:
        group = _names.variants(word)
        return min(group | {word}) if group else ""

    return lookup


def nickname_key(text: str, lookup=None) -> str:
    """A key shared by a given name and its short forms and other forms (Mahamadou,
    Mamadou, Madou), from the names module's reviewed table (``yiri.matching.names``),
    for the first word; "" when the table does not know it."""
    words = normalise(text).split()
    if not words:
        return ""
    return (lookup or _variants_lookup())(words[0])


# --- places ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _hierarchy() -> dict[str, tuple[str, str, str]]:
    """code -> (level, commune code, province code) from the reference locations."""
    path = Path(__file__).resolve().parent.parent / "network" / "data" / "locations.csv"
    parent: dict[str, str] = {}
    level: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            parent[row["code"]] = row["parent"]
            level[row["code"]] = row["level"]
    out = {}
    for code in parent:
        commune = province = ""
        c = code
        while c:
            if level.get(c) == "commune":
                commune = c
            elif level.get(c) == "province":
                province = c
            c = parent.get(c, "")
        out[code] = (level[code], commune, province)
    return out


def place_parts(place: str) -> tuple[str, str, str]:
    """(place, commune, province) of a location code; a text place is only itself."""
    if not place:
        return "", "", ""
    known = _hierarchy().get(place)
    if known is None:
        return normalise(place), "", ""
    return place, known[1], known[2]


# --- the columns a comparison reads ----------------------------------------------------

DENSE = 2500  # strings whose similarities are precomputed in a batch (25 MB of float32)


class Vocab:
    """Distinct strings numbered from 1 (0 is the blank): comparisons run on numbers, and
    a string similarity is computed once per distinct pair of strings, not per pair of
    records (a million records hold a few tens of thousands of distinct names)."""

    def __init__(self) -> None:
        self.values: list[str] = [""]
        self.index: dict[str, int] = {"": 0}
        self.counts: list[int] = [0]
        self._dense = None

    def id(self, value: str) -> int:
        got = self.index.get(value)
        if got is None:
            got = self.index[value] = len(self.values)
            self.values.append(value)
            self.counts.append(0)
        self.counts[got] += 1
        return got

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The similarities between the ``DENSE`` most frequent strings, computed at once:
        ``(position of each id in the matrix or -1, matrix)``. Most pairs of records
        compare common names; only the others go through ``_sim``'s sort."""
        if self._dense is None:
            counts = np.asarray(self.counts)
            counts[0] = 0
            top = np.argsort(-counts, kind="stable")[:DENSE]
            top = top[counts[top] > 0]
            pos = np.full(len(self.values), -1, dtype=np.int64)
            pos[top] = np.arange(len(top))
            strings = [self.values[i] for i in top]
            matrix = cdist(strings, strings, scorer=JaroWinkler.normalized_similarity,
                           workers=1, dtype=np.float32) if strings else np.zeros((0, 0), np.float32)
            self._dense = (pos, np.asarray(matrix, dtype=np.float32))
        return self._dense

    def ids(self, values) -> np.ndarray:
        return np.fromiter((self.id(v) for v in values), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.values)


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


class Table:
    """The records' features as numbered columns (``Vocab``) and numeric arrays."""

    def __init__(self, people: list[Person]) -> None:
        self.people = people
        self.n = len(people)
        # given and family names share one vocabulary (names swapped are compared crosswise)
        self.names = Vocab()
        self.given_id = self.names.ids(normalise(p.given) for p in people)
        self.family_id = self.names.ids(normalise(p.family) for p in people)
        self.keys = Vocab()  # phonetic keys, nickname keys, prefixes
        self._name_features()
        self.parents = Vocab()
        self.mother_id = self.parents.ids(_sorted_words(normalise(p.mother)) for p in people)
        self.father_id = self.parents.ids(_sorted_words(normalise(p.father)) for p in people)
        self.parent_ph = self.keys.ids(phonetic(v) for v in self.parents.values)
        self.parent_ph[0] = 0
        self.sex = np.array([{"male": 1, "female": 2}.get(p.sex, 0) for p in people], dtype=np.int8)
        self.year = np.array([p.birth_year if p.birth_year else 0 for p in people], dtype=np.int64)
        self.date = np.array([p.birth_date.toordinal() if p.birth_date else 0 for p in people],
                             dtype=np.int64)
        self.estimated = np.array([p.age_estimated or p.birth_date is None for p in people],
                                  dtype=bool)
        self.places = Vocab()
        parts = [place_parts(p.place) for p in people]
        self.place_id = self.places.ids(x[0] for x in parts)
        self.commune_id = self.places.ids(x[1] for x in parts)
        self.province_id = self.places.ids(x[2] for x in parts)
        self.extra: dict[str, tuple[Vocab, np.ndarray]] = {}
        for col in sorted({k for p in people for k, _ in p.extra}):
            vocab = Vocab()
            ids = vocab.ids(_extra_value(dict(p.extra).get(col, "")) for p in people)
            self.extra[col] = (vocab, ids)

    def _name_features(self) -> None:
        """Per distinct name: its phonetic key, nickname key, and the first three letters
        of the phonetic key and of the spelling (blocking)."""
        names = self.names.values
        self.name_ph = self.keys.ids(phonetic(v) for v in names)
        self.name_ph1 = self.keys.ids(_first_word(phonetic(v)) for v in names)
        lookup = _variants_lookup()
        self.name_nick = self.keys.ids(nickname_key(v, lookup) for v in names)
        self.name_ph3 = self.keys.ids("p" + _first_word(phonetic(v))[:3] for v in names)
        self.name_pre3 = self.keys.ids("s" + v[:3] for v in names)
        for arr in (self.name_ph, self.name_ph1, self.name_nick, self.name_ph3, self.name_pre3):
            arr[0] = 0
        order = sorted(range(len(names)), key=names.__getitem__)
        self.name_rank = np.empty(len(names), dtype=np.int64)
        self.name_rank[order] = np.arange(len(names))

    @property
    def given(self) -> list[str]:
        return [self.names.values[i] for i in self.given_id]

    @property
    def family(self) -> list[str]:
        return [self.names.values[i] for i in self.family_id]


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0] if text else ""


def _extra_value(value: str) -> str:
    value = (value or "").strip()
    return value if value.isdigit() else normalise(value)


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` by sorting (numpy's hash-based unique
    is several times slower on millions of integers)."""
    order = np.argsort(values)
    ordered = values[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(first) - 1
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = group
    return ordered[first], inverse


def unique_sorted(values: np.ndarray) -> np.ndarray:
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _sim(vocab: Vocab, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaro-Winkler similarity of the strings numbered ``a[k]`` and ``b[k]``, computed once
    per distinct pair."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    out = np.zeros(len(a), dtype=np.float32)
    if len(a) > 50_000:  # a batch: common strings from the dense matrix
        pos, matrix = vocab.dense()
        pa, pb = pos[a], pos[b]
        inside = (pa >= 0) & (pb >= 0)
        out[inside] = matrix[pa[inside], pb[inside]]
        rest = np.nonzero(~inside)[0]
        out[rest] = _sim_sorted(vocab, a[rest], b[rest])
        return out
    return _sim_sorted(vocab, a, b)


def _sim_sorted(vocab: Vocab, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=np.float32)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    code = lo * len(vocab) + hi
    uniq, inverse = unique_inverse(code)
    ua, ub = uniq // len(vocab), uniq % len(vocab)
    values = vocab.values
    sims = cpdist([values[i] for i in ua], [values[i] for i in ub],
                  scorer=JaroWinkler.normalized_similarity, workers=1, dtype=np.float32)
    return np.asarray(sims, dtype=np.float32)[inverse.reshape(-1)]


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) & (a != 0)


def _blank(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == 0) | (b == 0)


# --- fields and their levels -----------------------------------------------------------

MATCH, CLOSE, MISMATCH, BLANK = "match", "close", "mismatch", "blank"


@dataclass(frozen=True)
class Level:
    code: str
    kind: str  # MATCH / CLOSE / MISMATCH
    detail: str  # French, shown to the data manager


@dataclass(frozen=True)
class Comparison:
    field: str  # the Person field (or "extra:<column>")
    label: str  # French
    levels: tuple[Level, ...]
    tf: bool = False  # term-frequency adjustment of the first two levels


NAME_LEVELS = (
    Level("exact", MATCH, "identique"),
    Level("phonetic", CLOSE, "même prononciation ou forme courte"),
    Level("jw92", CLOSE, "orthographe très proche"),
    Level("jw80", CLOSE, "orthographe proche"),
    Level("other", MISMATCH, "différent"),
)
PARENT_LEVELS = (
    Level("exact", MATCH, "identique"),
    Level("phonetic", CLOSE, "même prononciation"),
    Level("jw88", CLOSE, "orthographe proche"),
    Level("other", MISMATCH, "différent"),
)
BIRTH_LEVELS = (
    Level("date", MATCH, "même date de naissance"),
    Level("year", MATCH, "même année de naissance"),
    Level("year1", CLOSE, "un an d'écart"),
    Level("year2est", CLOSE, "deux ans d'écart, âge estimé"),
    Level("other", MISMATCH, "années différentes"),
)
PLACE_LEVELS = (
    Level("same", MATCH, "même lieu"),
    Level("commune", CLOSE, "même commune"),
    Level("province", CLOSE, "même province"),
    Level("other", MISMATCH, "lieux différents"),
)
SEX_LEVELS = (Level("same", MATCH, "identique"), Level("other", MISMATCH, "différent"))
TEXT_LEVELS = (
    Level("exact", MATCH, "identique"),
    Level("jw90", CLOSE, "très proche"),
    Level("jw70", CLOSE, "proche"),
    Level("other", MISMATCH, "différent"),
)

BASE_COMPARISONS = (
    Comparison("given", "Prénom", NAME_LEVELS, tf=True),
    Comparison("family", "Nom", NAME_LEVELS, tf=True),
    Comparison("sex", "Sexe", SEX_LEVELS),
    Comparison("birth", "Naissance", BIRTH_LEVELS),
    Comparison("place", "Lieu", PLACE_LEVELS),
    Comparison("mother", "Mère", PARENT_LEVELS),
    Comparison("father", "Père", PARENT_LEVELS),
)


def comparisons_for(table: Table) -> tuple[Comparison, ...]:
    return BASE_COMPARISONS + tuple(
        Comparison(f"extra:{k}", k, TEXT_LEVELS) for k in sorted(table.extra))


def _name_levels(t: Table, a: np.ndarray, b: np.ndarray, sim: np.ndarray) -> np.ndarray:
    out = np.full(len(a), 4, dtype=np.int8)
    out[sim >= 0.80] = 3
    out[sim >= 0.92] = 2
    out[_same(t.name_ph[a], t.name_ph[b]) | _same(t.name_nick[a], t.name_nick[b])] = 1
    out[_same(a, b)] = 0
    out[_blank(a, b)] = -1
    return out


def name_pairs(t: Table, ia: np.ndarray, ib: np.ndarray):
    """The names compared as "given" and as "family" for each pair, and their similarity.

    Given and family names swapped on one record (a register that wrote the family name
    first) are compared crosswise when that fits clearly better. Which crosswise pair
    counts as "given" does not depend on which record comes first (the score of a pair
    is symmetric): the one holding the given name that comes first alphabetically."""
    ga, gb, fa, fb = t.given_id[ia], t.given_id[ib], t.family_id[ia], t.family_id[ib]
    n = len(ia)
    sims = _sim(t.names, np.concatenate([ga, fa, ga, fa]), np.concatenate([gb, fb, fb, gb]))
    s_gg, s_ff, s_gf, s_fg = sims[:n], sims[n:2 * n], sims[2 * n:3 * n], sims[3 * n:]
    swap = (s_gf + s_fg) > (s_gg + s_ff) + 0.15
    a_first = t.name_rank[ga] <= t.name_rank[gb]
    # not swapped: (ga, gb) and (fa, fb); swapped: (ga, fb) and (fa, gb), in that order
    # if ga comes first, the other way round otherwise
    g_a = np.where(swap, np.where(a_first, ga, fa), ga)
    g_b = np.where(swap, np.where(a_first, fb, gb), gb)
    f_a = np.where(swap, np.where(a_first, fa, ga), fa)
    f_b = np.where(swap, np.where(a_first, gb, fb), fb)
    sim_g = np.where(swap, np.where(a_first, s_gf, s_fg), s_gg)
    sim_f = np.where(swap, np.where(a_first, s_fg, s_gf), s_ff)
    return g_a, g_b, f_a, f_b, sim_g, sim_f


def compare(table: Table, ia, ib, comps: tuple[Comparison, ...] | None = None) -> np.ndarray:
    """The level of each comparison for each pair ``(ia[k], ib[k])``: an int8 matrix,
    ``-1`` where a side is blank. ``comps`` defaults to ``comparisons_for(table)``."""
    t = table
    comps = comps or comparisons_for(t)
    ia = np.asarray(ia, dtype=np.int64)
    ib = np.asarray(ib, dtype=np.int64)
    n = len(ia)
    out = np.full((n, len(comps)), -1, dtype=np.int8)
    if n == 0:
        return out
    g_a, g_b, f_a, f_b, sim_g, sim_f = name_pairs(t, ia, ib)
    for j, c in enumerate(comps):
        if c.field == "given":
            out[:, j] = _name_levels(t, g_a, g_b, sim_g)
        elif c.field == "family":
            out[:, j] = _name_levels(t, f_a, f_b, sim_f)
        elif c.field == "sex":
            sa, sb = t.sex[ia], t.sex[ib]
            col = np.where(sa == sb, 0, 1).astype(np.int8)
            col[(sa == 0) | (sb == 0)] = -1
            out[:, j] = col
        elif c.field == "birth":
            ya, yb = t.year[ia], t.year[ib]
            da, db = t.date[ia], t.date[ib]
            est = t.estimated[ia] | t.estimated[ib]
            gap = np.abs(ya - yb)
            col = np.full(n, 4, dtype=np.int8)
            col[(gap == 2) & est] = 3
            col[gap == 1] = 2
            col[gap == 0] = 1
            col[(da == db) & (da != 0)] = 0
            col[(ya == 0) | (yb == 0)] = -1
            out[:, j] = col
        elif c.field == "place":
            pa, pb = t.place_id[ia], t.place_id[ib]
            col = np.full(n, 3, dtype=np.int8)
            col[_same(t.province_id[ia], t.province_id[ib])] = 2
            col[_same(t.commune_id[ia], t.commune_id[ib])] = 1
            col[_same(pa, pb)] = 0
            col[_blank(pa, pb)] = -1
            out[:, j] = col
        elif c.field in ("mother", "father"):
            ids = t.mother_id if c.field == "mother" else t.father_id
            a, b = ids[ia], ids[ib]
            sim = _sim(t.parents, a, b)
            col = np.full(n, 3, dtype=np.int8)
            col[sim >= 0.88] = 2
            col[_same(t.parent_ph[a], t.parent_ph[b])] = 1
            col[_same(a, b)] = 0
            col[_blank(a, b)] = -1
            out[:, j] = col
        elif c.field.startswith("extra:"):
            vocab, ids = t.extra[c.field[6:]]
            a, b = ids[ia], ids[ib]
            sim = _sim(vocab, a, b)
            col = np.full(n, 3, dtype=np.int8)
            col[sim >= 0.70] = 2
            col[sim >= 0.90] = 1
            col[_same(a, b)] = 0
            col[_blank(a, b)] = -1
            out[:, j] = col
    return out


# --- the model -------------------------------------------------------------------------

@dataclass
class Model:
    """``m``/``u`` per comparison (by field) and level (by code), the prior ``lam``, and
    the name frequencies of the term-frequency adjustment."""

    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    lam: float = 0.01
    # field -> {normalised name: share of records}; names rarer than min_count records
    # are left out (a stored model holds no rare, identifying name).
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    tf_floor: dict[str, float] = field(default_factory=dict)  # share below which names are left out
    learnt: bool = False
    # the classes of different children (siblings, namesakes, the rest: ``em.train``), each
    # {"share": its share among them, "p": {field: {level code: probability}}}; ``u`` is
    # their mixture field by field. Empty: the different children are one class.
    others: list[dict] = field(default_factory=list)
    fit: str = ""  # how EM's result was kept (``em.train``): "classes", "two classes", "start"
    # field -> {level code: mean log2 share of the names agreeing at that level among the
    # candidate pairs}: with ``others`` the term frequency moves a weight around that mean
    tf_mean: dict[str, dict[str, float]] = field(default_factory=dict)

    def weight(self, comp: Comparison, level: int) -> float:
        if level < 0:
            return 0.0
        code = comp.levels[level].code
        m = self.m.get(comp.field, {}).get(code)
        u = self.u.get(comp.field, {}).get(code)
        if m is None or u is None:
            return _default_weight(comp, level)
        return math.log2(max(m, 1e-6) / max(u, 1e-6))

    def weight_table(self, comps: tuple[Comparison, ...]) -> list[np.ndarray]:
        return [np.array([self.weight(c, k) for k in range(len(c.levels))]) for c in comps]

    def to_json(self) -> dict:
        return {"m": self.m, "u": self.u, "lam": self.lam, "tf": self.tf,
                "tf_floor": self.tf_floor, "learnt": self.learnt, "others": self.others,
                "fit": self.fit, "tf_mean": self.tf_mean}

    @classmethod
    def from_json(cls, data: dict) -> Model:
        return cls(m=data["m"], u=data["u"], lam=data.get("lam", 0.01), tf=data.get("tf", {}),
                   tf_floor=data.get("tf_floor", {}), learnt=data.get("learnt", False),
                   others=data.get("others", []), fit=data.get("fit", ""),
                   tf_mean=data.get("tf_mean", {}))


def _default_weight(comp: Comparison, level: int) -> float:
    kind = comp.levels[level].kind
    return {MATCH: 3.0, CLOSE: 1.0, MISMATCH: -3.0}[kind]


def _mu(pairs: dict[str, tuple[float, float]]) -> tuple[dict, dict]:
    return {k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()}


_DEFAULTS = {
    # field: {level: (m, u)} — hand-set before any data is seen
    "given": {"exact": (0.55, 0.02), "phonetic": (0.2, 0.01), "jw92": (0.1, 0.01),
              "jw80": (0.08, 0.05), "other": (0.07, 0.91)},
    "family": {"exact": (0.6, 0.04), "phonetic": (0.18, 0.01), "jw92": (0.1, 0.01),
               "jw80": (0.07, 0.06), "other": (0.05, 0.88)},
    "sex": {"same": (0.98, 0.5), "other": (0.02, 0.5)},
    "birth": {"date": (0.4, 0.001), "year": (0.3, 0.06), "year1": (0.18, 0.11),
              "year2est": (0.07, 0.09), "other": (0.05, 0.739)},
    "place": {"same": (0.7, 0.004), "commune": (0.25, 0.01), "province": (0.03, 0.04),
              "other": (0.02, 0.946)},
    "mother": {"exact": (0.6, 0.001), "phonetic": (0.2, 0.001), "jw88": (0.12, 0.01),
               "other": (0.08, 0.988)},
    "father": {"exact": (0.6, 0.001), "phonetic": (0.2, 0.001), "jw88": (0.12, 0.01),
               "other": (0.08, 0.988)},
}
DEFAULT_MODEL = Model(
    m={f: _mu(v)[0] for f, v in _DEFAULTS.items()},
    u={f: _mu(v)[1] for f, v in _DEFAULTS.items()},
    lam=0.01,
)


def current_model() -> Model:
    """The model learnt by the last finished deduplication run, else the default one."""
    try:
        from .models import DedupeRun

        run = DedupeRun.objects.filter(status=DedupeRun.Status.DONE).exclude(
            model={}).order_by("-finished_at").first()
    except Exception:  # noqa: BLE001 - no database (a script) or not migrated yet
        run = None
    if run is None or not run.model:
        return DEFAULT_MODEL
    return Model.from_json(run.model)


def name_frequencies(table: Table, min_count: int = 10) -> tuple[dict, dict]:
    """The share of each given and family name among ``table``'s records (names written
    by at least ``min_count`` records), and the share below which names are left out."""
    tf: dict[str, dict[str, float]] = {}
    floor: dict[str, float] = {}
    for fname, ids in (("given", table.given_id), ("family", table.family_id)):
        ids = ids[ids != 0]
        total = max(len(ids), 1)
        counts = np.bincount(ids, minlength=len(table.names))
        tf[fname] = {table.names.values[i]: float(counts[i]) / total
                     for i in np.nonzero(counts >= min_count)[0]}
        floor[fname] = min_count / total
    return tf, floor


def weights(model: Model, table: Table, ia, ib, levels: np.ndarray,
            comps: tuple[Comparison, ...]) -> np.ndarray:
    """Each pair's weight per comparison (term-frequency adjusted), a float matrix."""
    ia = np.asarray(ia, dtype=np.int64)
    ib = np.asarray(ib, dtype=np.int64)
    out = np.zeros(levels.shape, dtype=np.float64)
    for j, (c, wt) in enumerate(zip(comps, model.weight_table(comps), strict=True)):
        lv = levels[:, j]
        col = np.where(lv >= 0, wt[np.clip(lv, 0, None)], 0.0)
        if c.tf and c.field in model.tf:
            col = col + _tf_adjust(model, c, table, ia, ib, lv)
        out[:, j] = col
    return out


def combination(model: Model, levels: np.ndarray, comps: tuple[Comparison, ...]) -> np.ndarray:
    """What the fields' weights miss when they are added up as if independent: log2 of
    (the pattern's chance among different children field by field, ``u``) over (its
    chance under the mixture of siblings, namesakes and the rest, ``Model.others``).

    Negative for a pattern that one kind of different children has often — same family
    name, village and parents but another given name: siblings — positive for one none
    of them has. Zero when the model has no classes (the defaults)."""
    out = np.zeros(len(levels))
    if not model.others or len(levels) == 0:
        return out

    def table_of(probs: dict[str, dict[str, float]]) -> list[np.ndarray]:
        return [np.array([max(probs.get(c.field, {}).get(lv.code, 1e-6), 1e-12)
                          for lv in c.levels]) for c in comps]

    def log_chance(tables: list[np.ndarray]) -> np.ndarray:
        acc = np.zeros(len(levels))
        for j, t in enumerate(tables):
            lv = levels[:, j]
            acc += np.where(lv >= 0, np.log2(t[np.clip(lv, 0, None)]), 0.0)
        return acc

    per_class = np.stack([math.log2(max(o["share"], 1e-12)) + log_chance(table_of(o["p"]))
                          for o in model.others])
    top = per_class.max(axis=0)
    mixture = top + np.log2(np.power(2.0, per_class - top).sum(axis=0))
    out[:] = log_chance(table_of(model.u)) - mixture
    return out


def totals(model: Model, table: Table, ia, ib, levels: np.ndarray,
           comps: tuple[Comparison, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(each pair's field weights, its total: their sum plus ``combination``)."""
    w = weights(model, table, ia, ib, levels, comps)
    return w, w.sum(axis=1) + combination(model, levels, comps)


def name_shares(model: Model, comp: Comparison, table: Table, ia, ib) -> np.ndarray:
    """For each pair, the share among the records of the commoner of the two names it
    compares as ``comp`` (given or family; names below ``tf_floor`` count as at it)."""
    freq = model.tf[comp.field]
    floor = model.tf_floor.get(comp.field, 0.0)
    g_a, g_b, f_a, f_b, _, _ = name_pairs(table, np.asarray(ia, dtype=np.int64),
                                          np.asarray(ib, dtype=np.int64))
    a, b = (g_a, g_b) if comp.field == "given" else (f_a, f_b)
    # the share of each distinct name of the table, once
    shares = np.array([max(freq.get(v, floor), 1e-6) for v in table.names.values])
    return np.maximum(shares[a], shares[b])


def _tf_adjust(model: Model, comp: Comparison, table: Table, ia, ib, lv) -> np.ndarray:
    """Term frequency, as Splink does it: for two records agreeing on a name (exact or
    phonetic level) the weight becomes log2(m / share of that name) instead of
    log2(m / u): the adjustment added is log2(u / share). Agreeing on "Ouédraogo" (one
    record in six of the Mossi plateau) weighs less than agreeing on "Yempabou"; a name
    rarer than the table's threshold counts as just under it (``tf_floor``). ``u`` is the
    level's among the candidate pairs, which blocking on names makes high: the share of
    the name among all records is the chance that two unrelated records agree on it.

    A model with classes of different children (``Model.others``) already says how often
    siblings and namesakes agree on a name; there the adjustment is the name's log share
    against the mean over the candidates at that level (``Model.tf_mean``): a rare name
    weighs more, a common one less, and the average pair as much as the classes say."""
    adj = np.zeros(len(lv))
    sel = np.nonzero((lv == 0) | (lv == 1))[0]
    if len(sel) == 0:
        return adj
    share = name_shares(model, comp, table, ia[sel], ib[sel])
    mean = model.tf_mean.get(comp.field)
    if model.others and mean:
        means = np.array([mean.get(level.code, 0.0) for level in comp.levels])
        adj[sel] = np.clip(means[lv[sel]] - np.log2(share), -8.0, 3.0)
        return adj
    us = np.array([model.u.get(comp.field, {}).get(level.code) or 0.0 for level in comp.levels])
    u = us[lv[sel]]
    with np.errstate(divide="ignore"):
        val = np.where(u > 0, np.log2(np.maximum(u, 1e-12) / share), 0.0)
    adj[sel] = np.clip(val, -8.0, 3.0)
    return adj


# --- what callers get ------------------------------------------------------------------

@dataclass(frozen=True)
class FieldVerdict:
    field: str
    level: str  # "match" / "close" / "mismatch" / "blank"
    weight: float
    detail: str  # French


@dataclass(frozen=True)
class PairScore:
    weight: float  # the sum of the fields' log2 Bayes factors and ``combination``
    probability: float
    band: str  # "likely" / "possible" / "unlikely"
    fields: tuple[FieldVerdict, ...]
    combination: float = 0.0  # ``scoring.combination``: the fields taken together


LIKELY = 0.8
POSSIBLE = 0.2


def band_of(probability: float) -> str:
    if probability >= LIKELY:
        return "likely"
    if probability >= POSSIBLE:
        return "possible"
    return "unlikely"


def probability_of(weight_sum, lam: float):
    prior = math.log2(lam / (1 - lam))
    total = np.clip(np.asarray(weight_sum, dtype=np.float64) + prior, -60, 60)
    return 1.0 / (1.0 + np.power(2.0, -total))


def _verdicts(comps, levels_row, weights_row) -> tuple[FieldVerdict, ...]:
    out = []
    for c, lv, w in zip(comps, levels_row, weights_row, strict=True):
        if lv < 0:
            out.append(FieldVerdict(c.field, BLANK, 0.0, f"{c.label} : non renseigné"))
        else:
            level = c.levels[int(lv)]
            out.append(FieldVerdict(c.field, level.kind, round(float(w), 2),
                                    f"{c.label} : {level.detail}"))
    return tuple(out)


def score_table(table: Table, ia, ib, model: Model | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(levels, weights, probabilities) of the pairs ``(ia[k], ib[k])`` of ``table``."""
    model = model or current_model()
    comps = comparisons_for(table)
    levels = compare(table, ia, ib, comps)
    w, total = totals(model, table, ia, ib, levels, comps)
    return levels, w, probability_of(total, model.lam)


def explain(table: Table, levels_row, weights_row, probability: float,
            together: float = 0.0) -> PairScore:
    """A pair's score for people: ``weights_row`` per field, ``together`` the
    ``combination`` term (the weight is their sum)."""
    comps = comparisons_for(table)
    return PairScore(weight=round(float(np.sum(weights_row) + together), 3),
                     probability=float(probability), band=band_of(float(probability)),
                     fields=_verdicts(comps, levels_row, weights_row),
                     combination=round(float(together), 2))


def score_pairs(person: Person, others: list[Person], model: Model | None = None) -> list[PairScore]:
    """``person`` against each of ``others`` (the live check's candidates)."""
    if not others:
        return []
    table = Table([person, *others])
    ia = np.zeros(len(others), dtype=np.int64)
    ib = np.arange(1, len(others) + 1)
    model = model or current_model()
    comps = comparisons_for(table)
    levels = compare(table, ia, ib, comps)
    w, total = totals(model, table, ia, ib, levels, comps)
    p = probability_of(total, model.lam)
    together = total - w.sum(axis=1)  # the combination, computed once by ``totals``
    return [explain(table, levels[k], w[k], p[k], together[k]) for k in range(len(others))]


def score_pair(a: Person, b: Person, model: Model | None = None) -> PairScore:
    return score_pairs(a, [b], model)[0]
