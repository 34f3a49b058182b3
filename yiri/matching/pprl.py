"""Matching between networks without sharing names: keyed Bloom-filter encodings.

Two installations that must not exchange identities (the Togolese and the Burkinabè
networks, for cross-border trafficking) exchange *encodings* of their children and learn
only which records probably match, then contact each other about those (docs/matching.md,
"Entre réseaux sans partager les noms").

The encoding follows Schnell, Bachteler & Reiher (2009), as a record-level Bloom filter
(a "cryptographic long-term key", Schnell et al. 2011): each field of a child is cut into
tokens — the letter bigrams of each normalised name word, the bigrams of its phonetic
key, the sex, the birth year and its neighbours, the commune and province names, the
bigrams of the parents' names — and each token sets ``k`` bits of one array of ``m`` bits,
at positions drawn from HMAC-SHA256 of the token under a key derived from a **secret the
two networks share** (one key per field, so equal strings in two fields set different
bits). Two encodings are compared with the Dice coefficient of their bits,
``2 |A ∧ B| / (|A| + |B|)``: a name written Ouédraogo on one side and Wedraogo on the other
keeps most of its bigrams and phonetic bigrams, hence most of its bits.

Choices, and why:

- *Record-level*, not one filter per field: per-field filters score a little better (each
  field weighed on its own) but the filter of a family name is then the same bit pattern
  for every child who bears it, so whoever holds the file counts the patterns and reads
  the commonest names off a frequency table. Mixing all fields into one array makes equal
  names give different arrays (other given name, year, place). Salting per-field filters
  with a record value (the birth year) would defeat that attack too, but an estimated age
  one year off would then lose the whole name: too costly for these registers.
- *Random hashing* (positions taken from an HMAC per token) rather than the double hashing
  of the original paper, whose arithmetic structure has been attacked (Niedermeyer et al.
  2014). The number of bits per token (``k``) is the weight of its field.
- *Birth year* as the set {year − 1, year, year + 1}: an estimated age one year off still
  shares two of three tokens (neighbourhood encoding of numbers).
- *Blocking on the encodings*, so that 100,000 × 100,000 records are not all compared:
  locality-sensitive hashing by bit sampling (Hamming LSH). Each of ``L`` tables samples
  ``K`` fixed bit positions; records whose sampled bits are all equal in one table become a
  candidate pair. Close encodings agree on most bits, hence in some table; unrelated ones
  rarely in any. Blocking uses nothing but the arrays: the file carries no other key.

What the file reveals, and to whom, is in docs/matching.md: without the secret, bit
patterns only (open to frequency attacks on large files); with it — the partner holds it —
a dictionary attack can test which bigrams each array holds. The scheme protects the names
from anyone but the partner, and relies on the partner for the rest.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from yiri.lib import names as _names

FORMAT = "yiri-pprl"
VERSION = 1
SECRET_HEADER = "yiri-pprl-secret-v1"
SECRET_BYTES = 32
SECRET_ENV = "YIRI_PPRL_SECRET_FILE"

# The encoding parameters; both sides must use the same (checked on reading a file).
# Two layouts (docs/matching.md compares them). ``segments``: the bit array's parts, in
# order, with their sizes (multiples of 64); ``k``: bits set per token of each kind — its
# weight; ``flip``: the share of bits flipped at random in an exported file (BLIP).
RECORD_LAYOUT: dict = {
    "layout": "record",
    "segments": [["record", 1024]],
    "q": 2,
    "hash": "hmac-sha256-random",
    "normalisation": "yiri-lib-names-3",
    "variants": None,  # set below: the digest of the table of name variants
    "year_window": 1,
    "k": {"name": 8, "sound": 8, "variant": 16, "sex": 30, "year": 30, "place": 30, "parent": 8},
    "flip": 0.0,
}
FIELD_LAYOUT: dict = {
    "layout": "field",
    "segments": [["given", 512], ["family", 512], ["sex", 64], ["year", 64], ["place", 128],
                 ["parent", 512]],
    "q": 2,
    "hash": "hmac-sha256-random",
    "normalisation": "yiri-lib-names-3",
    "variants": None,
    "year_window": 1,
    "k": {"name": 12, "sound": 8, "variant": 48, "sex": 16, "year": 12, "place": 12, "parent": 6},
    "flip": 0.01,
}
LAYOUTS = {"record": RECORD_LAYOUT, "field": FIELD_LAYOUT}
PARAMETERS = FIELD_LAYOUT
KINDS = ("name", "sound", "variant", "sex", "year", "place", "parent")

# Field layout: a pair's score is a logistic function of its fields' Dice coefficients
# (per field: Dice up to 0.8, Dice above 0.8, known on both sides; fitted by logistic
# regression on generated data, seed 2: bench/bench_pprl.py --fit); a field blank on
# either side adds nothing. Record layout: the score is the Dice of the whole arrays.
FIELD_WEIGHTS = {"bias": -7.16, "given": (13.04, 0.0, -7.78), "family": (12.41, 0.0, -6.44),
                 "sex": (6.47, 0.0, -5.17), "year": (8.65, 3.86, -6.23),
                 "place": (21.36, 2.2, -13.42), "parent": (7.5, 4.87, -4.8)}
THRESHOLDS = {"record": (0.88, 0.85), "field": (0.80, 0.40)}  # (probable, possible)

# Blocking: L tables of K sampled bit positions (fixed, public: they are not a secret).
LSH_TABLES = 300
LSH_BITS = 26
LSH_SEED = 20091  # Schnell, Bachteler & Reiher 2009
LSH_MAX_BUCKET = 200_000  # a bucket making more candidate pairs than this is skipped

class PprlError(Exception):
    """A clear French message for the person running the command."""


class SecretError(PprlError):
    pass


class ExchangeFileError(PprlError):
    pass


# --- the shared secret ----------------------------------------------------------------


@dataclass(frozen=True)
class SharedSecret:
    value: bytes

    def key(self, label: str) -> bytes:
        return hmac.new(self.value, b"yiri/pprl/v1/" + label.encode(), hashlib.sha256).digest()

    def __repr__(self) -> str:  # never print the secret (logs, tracebacks)
        return "SharedSecret(…)"


def secret_path(path: str | os.PathLike | None = None) -> Path:
    if path:
        return Path(path)
    named = os.environ.get(SECRET_ENV)
    if not named:
        raise SecretError(
            "Aucun secret partagé : donnez son fichier avec --secret FICHIER ou la variable "
            f"{SECRET_ENV}. Pour en créer un : « manage.py matching pprl-secret FICHIER », "
            "puis remettez-en une copie à l'autre réseau hors de Yiri (en main propre, clé USB).")
    return Path(named)


def generate_secret(path: str | os.PathLike) -> Path:
    """Create a new secret file, owner-only; never overwrites an existing file."""
    path = Path(path)
    text = f"{SECRET_HEADER} {base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode()}\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SecretError(f"Le fichier {path.name} existe déjà : il n'est pas remplacé "
                          "(un secret changé empêcherait toute correspondance).") from exc
    except OSError as exc:
        raise SecretError(f"Impossible de créer le fichier secret {path.name} : {exc.strerror}.") from exc
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


def load_secret(path: str | os.PathLike | None = None) -> SharedSecret:
    p = secret_path(path)
    try:
        text = p.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise SecretError(f"Fichier secret introuvable : {p.name}.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"Fichier secret illisible : {p.name}.") from exc
    head, _, body = text.partition(" ")
    try:
        value = base64.urlsafe_b64decode(body.strip().encode())
    except (binascii.Error, ValueError):
        value = b""
    if head != SECRET_HEADER or len(value) != SECRET_BYTES:
        raise SecretError(f"Le fichier {p.name} n'est pas un secret partagé Yiri "
                          "(créé par « manage.py matching pprl-secret »).")
    return SharedSecret(value)


# --- what is encoded -------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """The fields of one child that are encoded (plain text, never written anywhere)."""

    given: tuple[str, ...] = ()  # given and other names
    family: tuple[str, ...] = ()
    sex: str = ""  # "f", "m" or ""
    birth_year: int | None = None
    places: tuple[str, ...] = ()  # commune and province names (or any coarser place)
    parents: tuple[str, ...] = ()  # mother's and father's names


@lru_cache(maxsize=1)
def _place_names() -> dict[str, str]:
    path = Path(__file__).resolve().parent.parent / "network" / "data" / "locations.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def child_from_person(person) -> Child:
    """What is encoded of a ``matching.person.Person``: its names, sex, birth year, the
    names of the commune and province of its place (a village, commune or province code;
    a place written as text is taken as it is) and its parents' names."""
    from .scoring import place_parts

    places: list[str] = []
    if person.place:
        _place, commune, province = place_parts(person.place)
        known = _place_names()
        if commune or province:
            places = [known.get(c, c) for c in (commune, province) if c]
        elif person.place not in known:  # a region or a country is too coarse to use
            places = [person.place_name or person.place]
    return Child(
        given=tuple(n for n in (person.given, *person.other_names) if n),
        family=(person.family,) if person.family else (),
        sex={"female": "f", "male": "m"}.get(person.sex, ""),
        birth_year=person.birth_year,
        places=tuple(places),
        parents=tuple(n for n in (person.mother, person.father) if n),
    )


def _bigrams(word: str, q: int) -> list[str]:
    padded = " " + word + " "
    return [padded[i:i + q] for i in range(len(padded) - q + 1)]


def sound(word: str) -> str:
    """How a name word sounds, spelt one way (``lib.names.spelling``: ou/w/u, y/i, dj/j,
    tch/ch/sh, c/k, doubled letters, silent finals…): Ouédraogo and Wedraogo both give
    "uedraogo"."""
    return _names.spelling(word)


@lru_cache(maxsize=1)
def _variant_index() -> dict[str, tuple[str, ...]]:
    """Given-name word (and its spelling) -> the groups of the shipped table of short forms
    and nicknames (``matching/data/name_variants.csv``) it belongs to, each named by its
    first form in alphabetical order. Only the shipped table: an administrator's additions
    differ between installations, and both sides must encode alike."""
    from .names import shipped_groups

    index: dict[str, set[str]] = {}
    for group in shipped_groups():
        label = min(group)
        for form in group:
            for key in (form, _names.spelling(form)):
                if key:
                    index.setdefault(key, set()).add(label)
    return {k: tuple(sorted(v)) for k, v in index.items()}


def variants_digest() -> str:
    """Which table of name variants the encodings use (part of the parameters)."""
    from .names import shipped_groups

    text = "\n".join(sorted(";".join(sorted(g)) for g in shipped_groups()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _name_tokens(texts, q: int, variants: bool = False) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    index = _variant_index() if variants else {}
    for text in texts:
        for word in _names.tokens(text):
            out.update(("name", g) for g in _bigrams(word, q))
            spoken = sound(word)
            if spoken:
                out.update(("sound", g) for g in _bigrams(spoken, q))
            for label in index.get(word, ()) + index.get(spoken, ()):
                out.add(("variant", label))
    return out


def tokens(child: Child, params: dict = PARAMETERS) -> dict[str, set[tuple[str, str]]]:
    """``{field: {(kind, token)}}``: what each field of ``child`` contributes (the given
    and family names share their kinds, so that names written in swapped order meet)."""
    q = params["q"]
    out: dict[str, set[tuple[str, str]]] = {
        "given": _name_tokens(child.given, q, variants=True),
        "family": _name_tokens(child.family, q, variants=True),
        "sex": {("sex", child.sex)} if child.sex in ("f", "m") else set(),
        "year": set(), "place": set(),
        "parent": {("parent", t) for _k, t in _name_tokens(child.parents, q) if _k == "name"},
    }
    if child.birth_year is not None:
        w = params["year_window"]
        out["year"] = {("year", str(y)) for y in range(child.birth_year - w, child.birth_year + w + 1)}
    for place in child.places:
        norm = _names.normalise(place)
        if norm:
            out["place"].add(("place", norm))
    return out


class Encoder:
    """Encodes children under one secret and one set of parameters."""

    def __init__(self, secret: SharedSecret, params: dict = PARAMETERS) -> None:
        self.params = params
        self.segments: dict[str, tuple[int, int]] = {}
        offset = 0
        for seg_name, size in params["segments"]:
            self.segments[seg_name] = (offset, size)
            offset += size
        self.m = offset
        self.nbytes = self.m // 8
        self.record_level = params["layout"] == "record"
        self._keys = {kind: secret.key("kind/" + kind) for kind in KINDS}
        self._cache: dict[tuple[str, str, str], tuple[int, ...]] = {}

    def positions(self, seg_name: str, kind: str, token: str) -> tuple[int, ...]:
        hit = self._cache.get((seg_name, kind, token))
        if hit is None:
            offset, size = self.segments[seg_name]
            k = self.params["k"][kind]
            key, out, counter = self._keys[kind], [], 0
            while len(out) < k:
                digest = hmac.new(key, counter.to_bytes(2, "big") + token.encode(),
                                  hashlib.sha256).digest()
                out += [offset + int.from_bytes(digest[i:i + 2], "big") % size
                        for i in range(0, 32, 2)]
                counter += 1
            hit = self._cache[(seg_name, kind, token)] = tuple(out[:k])
        return hit

    def encode(self, child: Child) -> bytes:
        bits = 0
        for field_name, toks in tokens(child, self.params).items():
            seg_name = "record" if self.record_level else field_name
            for kind, tok in toks:
                for p in self.positions(seg_name, kind, tok):
                    bits |= 1 << p
        return bits.to_bytes(self.nbytes, "little")

    def encode_many(self, children: Iterable[Child]) -> np.ndarray:
        return as_matrix([self.encode(c) for c in children], self.m)


def array_bits(params: dict) -> int:
    return sum(size for _name, size in params["segments"])


def blip(M: np.ndarray, flip: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Flip each bit with probability ``flip`` (Schnell & Borgs' BLIP): equal values no
    longer give equal arrays, so counting equal patterns tells nothing; a fresh random
    draw at each export, so two files of the same child cannot be linked bit for bit."""
    if flip <= 0 or M.size == 0:
        return M
    rng = rng or np.random.default_rng(secrets.randbits(128))
    bits = np.unpackbits(M.view(np.uint8), bitorder="little")
    bits ^= (rng.random(bits.shape) < flip).astype(np.uint8)
    return np.packbits(bits, bitorder="little").view("<u8").reshape(M.shape).copy()


def as_matrix(filters: Sequence[bytes], m: int) -> np.ndarray:
    """Encodings as an ``n × m/64`` array of 64-bit words."""
    if not filters:
        return np.zeros((0, m // 64), dtype=np.uint64)
    return np.frombuffer(b"".join(filters), dtype="<u8").reshape(len(filters), m // 64).copy()


def dice(a: bytes, b: bytes) -> float:
    x, y = int.from_bytes(a, "little"), int.from_bytes(b, "little")
    total = x.bit_count() + y.bit_count()
    return 2 * (x & y).bit_count() / total if total else 0.0


def dice_pairs(A: np.ndarray, B: np.ndarray, ia: np.ndarray, ib: np.ndarray,
               chunk: int = 200_000) -> np.ndarray:
    """Dice of ``A[ia[t]]`` and ``B[ib[t]]`` for each t (vectorised, in chunks)."""
    ca = np.bitwise_count(A).sum(axis=1, dtype=np.int64)
    cb = np.bitwise_count(B).sum(axis=1, dtype=np.int64)
    out = np.empty(len(ia), dtype=np.float64)
    for s in range(0, len(ia), chunk):
        a, b = ia[s:s + chunk], ib[s:s + chunk]
        inter = np.bitwise_count(A[a] & B[b]).sum(axis=1, dtype=np.int64)
        total = ca[a] + cb[b]
        out[s:s + chunk] = np.where(total > 0, 2 * inter / np.maximum(total, 1), 0.0)
    return out


def _words(params: dict) -> dict[str, slice]:
    out, offset = {}, 0
    for seg_name, size in params["segments"]:
        out[seg_name] = slice(offset // 64, (offset + size) // 64)
        offset += size
    return out


def _blank_limit(size: int, params: dict) -> int:
    """At most this many bits set in a segment: a blank field (random flips only)."""
    return int(3 * size * params.get("flip", 0.0)) + 1


def _seg_dice(A, B, a, b, sa: slice, sb: slice, params: dict):
    """(Dice, both sides present) of segment ``sa`` of A's rows ``a`` and ``sb`` of B's."""
    x, y = A[a, sa], B[b, sb]
    na = np.bitwise_count(x).sum(axis=1, dtype=np.int64)
    nb = np.bitwise_count(y).sum(axis=1, dtype=np.int64)
    inter = np.bitwise_count(x & y).sum(axis=1, dtype=np.int64)
    limit = _blank_limit((sa.stop - sa.start) * 64, params)
    present = (na > limit) & (nb > limit)
    return np.where(present, 2 * inter / np.maximum(na + nb, 1), 0.0), present


FEATURES = ("given", "family", "sex", "year", "place", "parent")


def field_features(A, B, ia, ib, params: dict = FIELD_LAYOUT):
    """Per-field Dice and presence of each pair (field layout): two ``n × 6`` arrays in
    the order of ``FEATURES``, and whether the names were read swapped. Given and family
    names are compared straight and swapped (given against family), and the better
    reading is kept."""
    w = _words(params)
    g, f = w["given"], w["family"]
    dg, pg = _seg_dice(A, B, ia, ib, g, g, params)
    df, pf = _seg_dice(A, B, ia, ib, f, f, params)
    xg, xpg = _seg_dice(A, B, ia, ib, g, f, params)
    xf, xpf = _seg_dice(A, B, ia, ib, f, g, params)
    swap = (xg + xf) > (dg + df)
    cols = [np.where(swap, xg, dg), np.where(swap, xf, df)]
    present = [np.where(swap, xpg, pg), np.where(swap, xpf, pf)]
    for name in FEATURES[2:]:
        d, p = _seg_dice(A, B, ia, ib, w[name], w[name], params)
        cols.append(d)
        present.append(p)
    return np.stack(cols, axis=1), np.stack(present, axis=1), swap


KNOT = 0.8


def field_score(dice_cols: np.ndarray, present: np.ndarray, swap: np.ndarray,
                weights: dict = FIELD_WEIGHTS) -> np.ndarray:
    """The probability that a pair is one child, from its fields' Dice ``d``: a logistic
    function of, per field known on both sides, ``a·min(d, 0.8) + b·max(d − 0.8, 0) + c``
    (``FIELD_WEIGHTS``; ``a, b ≥ 0``, so that a closer field never lowers the score).
    Names read swapped count, each, the lesser of what the given and the family name
    would: the score of (a, b) is that of (b, a), and a swapped reading never beats an
    identical one."""

    def part(name, d):
        a, b, c = weights[name]
        return a * np.minimum(d, KNOT) + b * np.maximum(d - KNOT, 0) + c

    z = np.full(len(dice_cols), weights["bias"], dtype=np.float64)
    for t, name in enumerate(FEATURES):
        d = dice_cols[:, t]
        value = part(name, d)
        if name in ("given", "family"):
            value = np.where(swap, np.minimum(part("given", d), part("family", d)), value)
        z += np.where(present[:, t], value, 0.0)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def score_pairs(A, B, ia, ib, params: dict = PARAMETERS, chunk: int = 200_000) -> np.ndarray:
    """Each pair's own score in [0, 1]: the Dice of the arrays (record layout) or the
    weighted fields' Dice (field layout). ``match`` then corrects it for common names
    (``crowd_scores``)."""
    return score_and_closeness(A, B, ia, ib, params, chunk)[0]


def score_and_closeness(A, B, ia, ib, params: dict = PARAMETERS, chunk: int = 200_000):
    """``(scores, close)``: each pair's own score, and whether its names are close (both
    names' Dice ≥ ``CLOSE``; record layout: the arrays' Dice)."""
    out = np.empty(len(ia), dtype=np.float64)
    close = np.zeros(len(ia), dtype=bool)
    if params["layout"] == "record":
        out[:] = dice_pairs(A, B, ia, ib, chunk)
        return out, out >= CLOSE
    for s in range(0, len(ia), chunk):
        cols, present, swap = field_features(A, B, ia[s:s + chunk], ib[s:s + chunk], params)
        out[s:s + chunk] = field_score(cols, present, swap)
        close[s:s + chunk] = (cols[:, 0] >= CLOSE) & (cols[:, 1] >= CLOSE)
    return out, close


# Common names. The plaintext matcher weighs an agreement on "Ouédraogo" less than one on
# a rare name (term frequencies); the encodings hide the names, but not how crowded a
# record's neighbourhood is: a record whose names are close (Dice ≥ 0.85) to those of
# many records of the other file bears common names. The final score is
# ``σ(a·logit(score) − b·(ln(1 + n_theirs) + ln(1 + n_ours)) + c)`` with ``n`` the number
# of such close records of each side (weights fitted on generated data, seed 2, 20,000
# records: bench/bench_pprl.py --fit). Field layout only: the record layout's Dice is used
# as it is.
CLOSE = 0.85
CROWD_WEIGHTS = (1.11, 0.84, 1.27)


def crowd_scores(scores: np.ndarray, close: np.ndarray, ia, ib, n_a: int, n_b: int,
                 weights: tuple = CROWD_WEIGHTS) -> np.ndarray:
    """The scores corrected for how many close records each side of a pair has."""
    if len(scores) == 0:
        return scores
    na = np.bincount(ia[close], minlength=n_a)
    nb = np.bincount(ib[close], minlength=n_b)
    crowd = np.log1p(na[ia]) + np.log1p(nb[ib])
    p = np.clip(scores, 1e-12, 1 - 1e-12)
    a, b, c = weights
    z = a * np.log(p / (1 - p)) - b * crowd + c
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def blocking_view(M: np.ndarray, params: dict = PARAMETERS) -> np.ndarray:
    """What blocking samples bits from: the whole array (record layout); the union of the
    given and family names' bits (either order), the sex and the birth year (field layout)."""
    if params["layout"] == "record":
        return M
    w = _words(params)
    return np.concatenate([M[:, w["given"]] | M[:, w["family"]], M[:, w["year"]], M[:, w["place"]]],
                          axis=1)


# --- blocking ---------------------------------------------------------------------------


def _lsh_keys(M: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each record, the sampled bits packed into one integer."""
    words, shifts = positions // 64, (positions % 64).astype(np.uint64)
    bits = (M[:, words] >> shifts) & np.uint64(1)
    weights = np.left_shift(np.uint64(1), np.arange(len(positions), dtype=np.uint64))
    return (bits * weights).sum(axis=1, dtype=np.uint64)


def _join(ka: np.ndarray, kb: np.ndarray, max_bucket: int) -> np.ndarray:
    """Pairs (as ``i * len(kb) + j``) of records with equal keys on both sides."""
    oa, ob = np.argsort(ka, kind="stable"), np.argsort(kb, kind="stable")
    ua, sa, na = np.unique(ka[oa], return_index=True, return_counts=True)
    ub, sb, nb = np.unique(kb[ob], return_index=True, return_counts=True)
    _, xa, xb = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    sa, na, sb, nb = sa[xa], na[xa], sb[xb], nb[xb]
    sizes = na.astype(np.int64) * nb
    keep = sizes <= max_bucket
    sa, na, sb, nb, sizes = sa[keep], na[keep], sb[keep], nb[keep], sizes[keep]
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    bucket = np.repeat(np.arange(len(sizes)), sizes)
    r = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    i = oa[sa[bucket] + r // nb[bucket]]
    j = ob[sb[bucket] + r % nb[bucket]]
    return i.astype(np.int64) * len(kb) + j


def candidate_pairs(A: np.ndarray, B: np.ndarray, *, tables: int = LSH_TABLES,
                    bits: int = LSH_BITS, seed: int = LSH_SEED,
                    max_bucket: int = LSH_MAX_BUCKET) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(ia, ib)`` between two sets of encodings, by bit-sampling LSH."""
    if len(A) == 0 or len(B) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    m = A.shape[1] * 64
    rng = np.random.default_rng(seed)
    found: list[np.ndarray] = []
    pending = 0
    for _ in range(tables):
        positions = rng.choice(m, size=bits, replace=False)
        codes = _join(_lsh_keys(A, positions), _lsh_keys(B, positions), max_bucket)
        found.append(codes)
        pending += len(codes)
        if pending > 20_000_000:
            found, pending = [np.unique(np.concatenate(found))], 0
    codes = np.unique(np.concatenate(found))
    return codes // len(B), codes % len(B)


@dataclass(frozen=True)
class Match:
    theirs: int
    ours: int
    score: float
    level: str  # "probable" / "possible"


def match(theirs: np.ndarray, ours: np.ndarray, params: dict = PARAMETERS,
          threshold: float | None = None, **lsh) -> list[Match]:
    """Pairs of indexes (theirs, ours) whose score reaches ``threshold`` (the layout's
    "possible" threshold by default), best first."""
    probable, possible = THRESHOLDS[params["layout"]]
    threshold = possible if threshold is None else threshold
    ia, ib = candidate_pairs(blocking_view(theirs, params), blocking_view(ours, params), **lsh)
    scores, close = score_and_closeness(theirs, ours, ia, ib, params)
    if params["layout"] == "field":
        scores = crowd_scores(scores, close, ia, ib, len(theirs), len(ours))
    keep = scores >= threshold
    ia, ib, scores = ia[keep], ib[keep], scores[keep]
    order = np.lexsort((ib, ia, -scores))
    return [Match(int(ia[t]), int(ib[t]), round(float(scores[t]), 4),
                  "probable" if scores[t] >= probable else "possible") for t in order]


# --- the exchange file -------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def check_value(secret: SharedSecret, params: dict = PARAMETERS) -> str:
    """A keyed value of the secret and the parameters: equal on both sides iff both use
    the same secret and parameters. It shows nothing of the secret."""
    return _b64(hmac.new(secret.key("check"), _canonical(params), hashlib.sha256).digest()[:16])


@dataclass
class Exchange:
    exchange: str
    created: str
    params: dict
    refs: list[str]
    matrix: np.ndarray = field(repr=False)


def write_exchange(path: str | os.PathLike, secret: SharedSecret, refs: Sequence[str],
                   filters: Sequence[bytes], exchange: str, params: dict = PARAMETERS) -> None:
    """Write an exchange file (records in a random order), sealed with a keyed MAC."""
    order = list(range(len(refs)))
    secrets.SystemRandom().shuffle(order)
    doc = {
        "format": FORMAT, "version": VERSION, "exchange": exchange,
        "created": dt.date.today().isoformat(), "parameters": params,
        "check": check_value(secret, params),
        "records": [[refs[i], _b64(filters[i])] for i in order],
    }
    body = _canonical(doc)
    doc["mac"] = _b64(hmac.new(secret.key("mac"), body, hashlib.sha256).digest())
    tmp = Path(f"{path}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_canonical(doc) + b"\n")
    os.replace(tmp, path)


def _param_differences(theirs, ours, prefix="") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in sorted(set(ours) | set(theirs)):
            out += _param_differences(theirs.get(key), ours.get(key), f"{prefix}{key}.")
        return out
    if theirs != ours:
        return [f"{prefix.rstrip('.')} ({json.dumps(ours)} ici, {json.dumps(theirs)} dans le fichier)"]
    return []


def read_exchange(path: str | os.PathLike, secret: SharedSecret,
                  params: dict | None = None) -> Exchange:
    """Read and check an exchange file; ``ExchangeFileError`` with a French message
    naming what is wrong (structure, version, parameters, secret, seal). ``params``: the
    parameters expected; by default those of the layout the file names (``LAYOUTS``)."""
    name = Path(path).name
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise ExchangeFileError(f"Fichier d'échange introuvable : {name}.") from exc
    except OSError as exc:
        raise ExchangeFileError(f"Fichier d'échange illisible : {name} ({exc.strerror}).") from exc
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ExchangeFileError(
            f"Le fichier {name} n'est pas un fichier d'échange complet : son contenu est coupé "
            "ou abîmé (fichier tronqué ?). Demandez-en une nouvelle copie.") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExchangeFileError(f"Le fichier {name} n'est pas un fichier d'échange Yiri "
                                "(encodages pour la mise en correspondance entre réseaux).")
    if doc.get("version") != VERSION:
        raise ExchangeFileError(
            f"Le fichier {name} est au format version {doc.get('version')!r}, or cette "
            f"installation lit la version {VERSION} : les deux réseaux doivent utiliser des "
            "versions de Yiri compatibles.")
    expected = {"format", "version", "exchange", "created", "parameters", "check", "records", "mac"}
    if set(doc) != expected:
        missing, extra = sorted(expected - set(doc)), sorted(set(doc) - expected)
        raise ExchangeFileError(
            f"Structure du fichier {name} invalide"
            + (f" : champ(s) manquant(s) {', '.join(missing)}" if missing else "")
            + (f" ; champ(s) inconnu(s) {', '.join(extra)}" if extra else "") + ".")
    if params is None:
        named = doc["parameters"].get("layout") if isinstance(doc["parameters"], dict) else None
        if named not in LAYOUTS:
            raise ExchangeFileError(
                f"Le fichier {name} utilise une disposition d'encodage inconnue ici "
                f"({named!r}) ; connues : {', '.join(LAYOUTS)}.")
        params = LAYOUTS[named]
    diffs = _param_differences(doc["parameters"], params)
    if diffs:
        raise ExchangeFileError(
            f"Le fichier {name} a été encodé avec d'autres paramètres que les vôtres : "
            + "; ".join(diffs) + ". Les deux réseaux doivent utiliser les mêmes paramètres.")
    if not isinstance(doc["check"], str) or not hmac.compare_digest(
            doc["check"], check_value(secret, params)):
        raise ExchangeFileError(
            f"Le fichier {name} a été encodé avec un autre secret partagé que le vôtre (valeur "
            "de contrôle différente) : aucune correspondance n'est possible. Vérifiez que les "
            "deux réseaux utilisent bien le même fichier secret.")
    mac = doc.pop("mac")
    good = _b64(hmac.new(secret.key("mac"), _canonical(doc), hashlib.sha256).digest())
    if not isinstance(mac, str) or not hmac.compare_digest(mac, good):
        raise ExchangeFileError(
            f"Le fichier {name} a été modifié après son export (sceau invalide) : il est "
            "refusé. Demandez-en une nouvelle copie à l'autre réseau.")
    # Sealed by someone holding the secret: the rest is checked all the same.
    records, nbytes = doc["records"], array_bits(params) // 8
    refs, filters = [], []
    try:
        if not isinstance(doc["exchange"], str) or not isinstance(records, list):
            raise ValueError
        for ref, enc in records:
            bits = _unb64(enc)
            if not isinstance(ref, str) or not ref or len(ref) > 64 or len(bits) != nbytes:
                raise ValueError
            refs.append(ref)
            filters.append(bits)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ExchangeFileError(f"Structure du fichier {name} invalide : un enregistrement n'a "
                                "pas la forme attendue (référence, encodage).") from exc
    if len(set(refs)) != len(refs):
        raise ExchangeFileError(f"Structure du fichier {name} invalide : une référence y figure "
                                "deux fois.")
    return Exchange(doc["exchange"], str(doc["created"]), doc["parameters"], refs,
                    as_matrix(filters, array_bits(params)))


def new_exchange_id() -> str:
    return uuid.uuid4().hex


for _layout in LAYOUTS.values():
    _layout["variants"] = variants_digest()
