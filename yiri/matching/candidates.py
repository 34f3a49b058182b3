"""Finding the records whose names match typed names: candidates, then a score.

Recall first, then ranking. A typed name is cut into words (``names.key_words``: accents,
case, apostrophes, other scripts handled; particles weigh nothing). Each word is looked up
on the blind index (``cases.blind_index``: HMACs only, nothing in clear) by every key it
has: the word itself, its beginning, its old phonetic key, its sound key, the sound key
less one letter (typos), and the same for the other forms of the name in the variants
table (``matching.names``: Madou -> Mahamadou). A record is a candidate when each typed
word meets one of its name words by one of these keys (with three typed words or more,
one may miss: a middle name left out).

Candidates are then scored on their names, decrypted for this (``identity``), never more
than ``DECRYPT_LIMIT`` of them: per typed word, the best of its similarity to the record's
name words (``word_similarity``: same word, same spelling, variant, prefix, or an edit
distance small for the word's length, on the spellings), a word used once; the score is
the mean of these similarities weighted by how rare the typed word is in the index (a
common name like Kodjo or Ouédraogo weighs less than a rare one: ``1 / log2(2 + n)``, n
the records holding the word, counted on the token index at query time, so nothing has to
be maintained). Parents' names, when given, add to the score of a record whose parent's
name matches (``blind_index.PARENT`` tokens, compared by token only).

The same code serves the case search (``cases.search.search_cases``, scoped to what the
user may see) and ``candidate_ids`` (every case, for the duplicate check at registration,
whose caller reveals only what the user may see).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from rapidfuzz.distance import OSA

from yiri.cases import blind_index
from yiri.lib import names

from . import names as variants

# How much a match by each key is worth before the names are compared (used to order
# candidates when there are more than can be decrypted).
KIND_WEIGHT = {"word": 1.0, "variant": 0.95, "sound": 0.9, "phonetic": 0.85, "prefix": 0.8,
               "deletion": 0.7}
DECRYPT_LIMIT = 400  # candidates whose names are compared, at most
PARENT_BONUS = 0.1


@dataclass
class QueryWord:
    word: str
    tokens: dict[str, str] = field(default_factory=dict)  # token -> kind of match
    weight: float = 1.0  # rarity
    count: int = 0  # records holding the word


def _add(out: dict[str, str], tokens: Iterable[str], kind: str) -> None:
    for t in tokens:
        if KIND_WEIGHT.get(out.get(t, ""), 0) < KIND_WEIGHT[kind]:
            out[t] = kind


def query_word(word: str, keys: blind_index.KeyRing) -> QueryWord:
    """Every token a record's name word may hold for it to meet ``word``."""
    q = QueryWord(word)
    w = word[:60]
    _add(q.tokens, keys.query_tokens(blind_index.WORD, w), "word")
    _add(q.tokens, keys.query_tokens(blind_index.PREFIX, w), "prefix")
    old = names.phonetic_key(w)
    if old:
        _add(q.tokens, keys.query_tokens(blind_index.PHONETIC, old[:60]), "phonetic")
    for form, kind in [(w, "sound"), *((v, "variant") for v in sorted(variants.variants(w)))]:
        if kind == "variant":
            _add(q.tokens, keys.query_tokens(blind_index.WORD, form[:60]), "variant")
        key = names.sound_key(form)[:60]
        if not key:
            continue
        _add(q.tokens, keys.query_tokens(blind_index.SOUND, key), kind)
        if len(w) >= 4:  # typos: one consonant more, less or changed
            _add(q.tokens, keys.query_tokens(blind_index.SOUND_DELETION, key), "deletion")
            for d in names.deletion_keys(key):
                _add(q.tokens, keys.query_tokens(blind_index.SOUND, d), "deletion")
                _add(q.tokens, keys.query_tokens(blind_index.SOUND_DELETION, d), "deletion")
    return q


def query_words(text: str, keys: blind_index.KeyRing | None = None) -> list[QueryWord]:
    keys = keys or blind_index.ring()
    words = names.significant(names.tokens(text))
    out = []
    for word in words:
        latin = names.romanise(word)
        q = query_word(word, keys)
        if latin and latin != word:  # a name typed in another script: its Latin keys too
            extra = query_word(latin, keys)
            _add(q.tokens, [t for t, k in extra.tokens.items() if k != "prefix"], "sound")
        out.append(q)
    return out


def weigh(words: list[QueryWord], record_type: str) -> None:
    """Set each word's rarity weight from the number of records holding it."""
    from yiri.cases.models import NameToken

    exact = {}
    ring = blind_index.ring()
    for q in words:
        for t in ring.query_tokens(blind_index.WORD, q.word[:60]):
            exact[t] = q
    counts = dict(NameToken.objects.filter(record_type=record_type, token__in=list(exact))
                  .values_list("token").annotate(n=Count("record_id")).values_list("token", "n"))
    for q in words:
        q.count = sum(counts.get(t, 0) for t in ring.query_tokens(blind_index.WORD, q.word[:60]))
        q.weight = 1.0 / math.log2(2 + q.count)


# ------------------------------------------------------------------ word similarity

def _allowed_edits(length: int) -> int:
    return 1 if length <= 7 else 2 if length <= 11 else 3


def word_similarity(typed: str, name: str) -> float:
    """How close a typed word is to a record's name word, 0 when they do not match.

    1 the same word; 0.95 the same spelling (Ouédraogo / Wedraogo); 0.9 forms of one name
    (Madou / Mahamadou); 0.6–0.85 the beginning of the name (search as you type); 0.85,
    0.75, 0.65 for 1, 2, 3 edits (letters changed, added, dropped or swapped) between the
    spellings, if the word is long enough for that many (1 up to 7 letters, 2 up to 11).
    """
    if typed == name:
        return 1.0
    a, b = names.spelling(typed), names.spelling(name)
    if a and a == b:
        return 0.95
    if name in variants.variants(typed):
        return 0.9
    best = 0.0
    if name.startswith(typed):
        best = 0.6 + 0.25 * len(typed) / len(name)
    if a and b:
        d = OSA.distance(a, b, score_cutoff=3)
        if d <= _allowed_edits(min(len(a), len(b))) and min(len(a), len(b)) >= 3:
            best = max(best, 0.85 - 0.1 * (d - 1))
    return best


def name_similarity(words: list[QueryWord], record_words: list[str]) -> float:
    """The rarity-weighted mean of each typed word's best similarity to a record word
    (each record word used once, best pairs first); 0 when a typed word matches nothing
    (with three typed words or more, one may)."""
    if not words:
        return 0.0
    pairs = sorted(((word_similarity(q.word, r), i, j) for i, q in enumerate(words)
                    for j, r in enumerate(record_words)), reverse=True)
    got: dict[int, float] = {}
    used: set[int] = set()
    for s, i, j in pairs:
        if s <= 0:
            break
        if i in got or j in used:
            continue
        got[i] = s
        used.add(j)
    missing = len(words) - len(got)
    if missing > (1 if len(words) >= 3 else 0):
        return 0.0
    total = sum(q.weight for q in words)
    return sum(q.weight * got.get(i, 0.0) for i, q in enumerate(words)) / total


# ------------------------------------------------------------------ candidates

def _holding(record_type: str, tokens: Iterable[str]) -> QuerySet:
    from yiri.cases.models import NameToken

    return NameToken.objects.filter(record_type=record_type, token__in=list(tokens)).values("record_id")


def candidates(qs: QuerySet, words: list[QueryWord], record_type: str) -> QuerySet:
    """The records of ``qs`` whose names meet every typed word by some key (all but one
    of three or more: the two rarest are then required)."""
    required = sorted(words, key=lambda q: q.count)
    if len(words) >= 3:
        required = required[:2]
    for q in required:
        qs = qs.filter(pk__in=_holding(record_type, q.tokens))
    return qs


def record_words(record) -> list[str]:
    from yiri.cases import identity
    from yiri.cases.columns import SEARCH_FIELDS

    fields = identity.read_identity(record).get("fields", {})
    spec = SEARCH_FIELDS.get(record.RECORD_TYPE)
    out: list[str] = []
    for code in spec.names if spec else ():
        out.extend(names.key_words(fields.get(code) or ""))
    return out


def parent_query_tokens(text: str | None, keys: blind_index.KeyRing | None = None) -> set[str]:
    keys = keys or blind_index.ring()
    out: set[str] = set()
    for word in names.significant(names.key_words(text)):
        out.update(keys.query_tokens(blind_index.PARENT, "w:" + word[:60]))
        key = names.sound_key(word)[:60]
        if key:
            out.update(keys.query_tokens(blind_index.PARENT, "s:" + key))
    return out


def score(qs: QuerySet, text: str, *, record_type: str = "case", parents: str | None = None,
          threshold: float = 0.0) -> list[tuple[object, float]]:
    """``(record id, score)`` of the records of ``qs`` matching the typed ``text``, best
    first (ties: most recently updated first)."""
    from yiri.cases.models import NameToken

    keys = blind_index.ring()
    words = query_words(text, keys)
    if not words:
        return []
    weigh(words, record_type)
    found = list(candidates(qs, words, record_type).order_by("-updated_at")
                 .only("pk", "identity_blob", "updated_at")[:DECRYPT_LIMIT])
    parent_hits: set = set()
    ptokens = parent_query_tokens(parents, keys) if parents else set()
    if ptokens and found:
        parent_hits = set(NameToken.objects.filter(
            record_type=record_type, token__in=list(ptokens),
            record_id__in=[r.pk for r in found]).values_list("record_id", flat=True))
    out = []
    for rank, record in enumerate(found):
        s = name_similarity(words, record_words(record))
        if s <= 0 or s < threshold:
            continue
        if record.pk in parent_hits:
            s += PARENT_BONUS
        out.append((record.pk, s, rank))
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(pk, s) for pk, s, _ in out]


def candidate_ids(given: str, family: str, *, other: str = "", limit: int = 200) -> list:
    """Ids of the cases, among ALL cases (not scoped), whose names match the given and
    family names (and ``other``: middle name, nickname...), best first, at most ``limit``.

    Order of given and family does not matter (a swapped registration is found). The
    caller decides what the user may learn of each (the live duplicate check reveals
    only the organisation to contact for a case out of scope).
    """
    from yiri.cases.models import Case

    text = " ".join(t for t in (given, family, other) if t)
    return [pk for pk, _ in score(Case.objects.alive(), text)[:limit]]
