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
than ``DECRYPT_LIMIT`` of them (those met by the word, its spelling, sound or other forms
first, then by a letter's typo, then by a beginning or a typo in the sound): per typed word, the best of its similarity to the record's
name words (``word_similarity``: same word, same spelling, variant, prefix, or an edit
distance small for the word's length, on the spellings), a word used once; the score is
the mean of these similarities weighted by how rare the typed word is in the index (a
common name like Kodjo or Ouédraogo weighs less than a rare one: ``1 / log2(2 + n)``, n
the records holding the word, counted on the token index at query time, so nothing has to
be maintained). What else the worker typed moves a record up or down: a parent's name
(compared with the decrypted parents' names of the candidate, every typed word matched),
the birth years, the sex, the place (steps apart in the location tree). The search
returns the records scoring at least the best less ``RESULT_MARGIN``, the parent left
out of that comparison (a blank parent says nothing against a record).

The same code serves the case search (``cases.search.search_cases``, scoped to what the
user may see) and ``candidate_ids`` (every case, for the duplicate check at registration,
whose caller reveals only what the user may see).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case as DbCase
from django.db.models import Count, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Abs, Coalesce, ExtractYear
from rapidfuzz.distance import OSA

from yiri.cases import blind_index
from yiri.lib import names

from . import names as variants

# How much a match by each key is worth before the names are compared (used to order
# candidates when there are more than can be decrypted).
KIND_WEIGHT = {"word": 1.0, "variant": 0.95, "sound": 0.9, "phonetic": 0.85, "prefix": 0.8,
               "typo": 0.75, "deletion": 0.7}
DECRYPT_LIMIT = 400  # candidates whose names are compared, at most


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
    if len(w) >= 3:  # typos in the letters themselves (short names: Rocia / Rokia)
        _add(q.tokens, keys.query_tokens(blind_index.WORD_DELETION, w), "typo")
        for d in names.deletion_keys(w):
            _add(q.tokens, keys.query_tokens(blind_index.WORD, d), "typo")
            _add(q.tokens, keys.query_tokens(blind_index.WORD_DELETION, d), "typo")
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
    words or between their spellings, if the words are long enough for that many (1 up to
    7 letters, 2 up to 11, 3 beyond; two-letter words one edit at 0.7); 0.75 a typo in
    another form of the name (Mahamaou for Madou); 0.7 the same sound key of two consonants
    or more (Moouss / Moussa, Rasmné / Rasmaen).
    """
    if typed == name:
        return 1.0
    a, b = names.spelling(typed), names.spelling(name)
    if a and a == b:
        return 0.95
    others = variants.variants(typed)
    if name in others:
        return 0.9
    best = 0.0
    if name.startswith(typed):
        best = 0.6 + 0.25 * len(typed) / len(name)
    shortest = min(len(typed), len(name))
    d = OSA.distance(typed, name, score_cutoff=3)
    if a and b:
        d = min(d, OSA.distance(a, b, score_cutoff=3))
    if shortest >= 3 and d <= _allowed_edits(shortest):
        best = max(best, 0.85 - 0.1 * (d - 1))
    elif shortest == 2 and d == 1:
        best = max(best, 0.7)
    if best < 0.75 and b:
        for other in others:
            o = names.spelling(other)
            if o and min(len(o), len(b)) >= 3 and OSA.distance(o, b, score_cutoff=2) <= _allowed_edits(
                    min(len(o), len(b))):
                best = 0.75
                break
    if best < 0.7:
        key = names.sound_key(typed)
        if len(key) >= 2 and key == names.sound_key(name):
            best = 0.7
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
    # With three words or more, one may miss (a middle name left out); and a record
    # with fewer name words than typed (a family name left blank) misses the rest.
    allowed = (1 if len(words) >= 3 else 0) + max(0, len(words) - len(record_words))
    if missing > allowed or not got:
        return 0.0
    total = sum(q.weight for q in words)
    return sum(q.weight * got.get(i, UNKNOWN_WORD) for i, q in enumerate(words)) / total


# A typed word the record cannot be compared on (its family name is blank, or a middle
# name left out) counts as a two-edit typo: unknown, not different.
UNKNOWN_WORD = 0.75


# ------------------------------------------------------------------ candidates

def _holding(record_type: str, tokens: Iterable[str]) -> QuerySet:
    from yiri.cases.models import NameToken

    return NameToken.objects.filter(record_type=record_type, token__in=list(tokens)).values("record_id")


STRONG_KINDS = frozenset({"word", "variant", "sound", "phonetic"})
# The candidates are compared tier by tier when there are more than ``DECRYPT_LIMIT``:
# met by the word, its spelling or sound, or another form of it; then also by one
# letter's typo (a letter dropped, added, changed or two swapped: precise); then by
# anything (a beginning, a typo in the sound key, which many names share).
TIERS = (STRONG_KINDS, STRONG_KINDS | {"typo"}, None)


def candidates(qs: QuerySet, words: list[QueryWord], record_type: str, *,
               kinds: frozenset | None = None, wide: bool = False) -> list[QuerySet]:
    """The records of ``qs`` whose names meet every typed word by some key (all but one
    of three or more: the two rarest are then required), and the records with fewer name
    words than typed (a blank family name) that meet one of the typed words, as one or
    two querysets whose union is the candidates. ``kinds``: by these kinds of keys only
    (``TIERS``; None: by any key). ``wide``: ``qs`` holds many records (``_part``).

    Two querysets, not one with an OR between them: PostgreSQL cannot turn an OR of
    subqueries into joins, and checked every record in scope against each subquery (18 s
    for a supervisor's team at 1,000,000 cases)."""
    # One word typed: its exact holders (``weigh``) are a floor of the records it meets.
    many = len(words) == 1 and words[0].count > MATERIALISE
    return [_part(qs, record_type, every, wide, by_ids=not many)
            for every in _token_lists(words, kinds)]


def _token_lists(words: list[QueryWord], kinds: frozenset | None) -> list[list[list[str]]]:
    """Per part of the candidates (``candidates``), the lists of tokens a record must
    hold one of each."""
    def tokens(q: QueryWord) -> list[str]:
        return [t for t, kind in q.tokens.items() if kinds is None or kind in kinds]

    rarest = sorted(words, key=lambda q: q.count)
    parts = [[tokens(q) for q in (rarest[:2] if len(words) >= 3 else rarest)]]
    if len(words) >= 2:
        keys = blind_index.ring()
        short = [t for n in range(1, len(words)) for t in keys.query_tokens(blind_index.SIZE, str(n))]
        parts.append([sorted({t for q in words for t in tokens(q)}), short])
    return parts


def _part(qs: QuerySet, record_type: str, every: list[list[str]], wide: bool,
          by_ids: bool = False) -> QuerySet:
    """The records of ``qs`` holding a token of each list of ``every``.

    A narrow ``qs`` (a worker's or a team's cases) is read first and each record looked
    up in the token index, one subquery per list. A wide one (a relay cell's, the
    whole country's) is met from the token index instead, the lists intersected there:
    with one subquery per list, PostgreSQL joined them through the cases table, reading
    every case (260 ms for two names at 340,000 cases, where the lists intersect in
    20 ms on the token index); and a worker's 660 cases are looked up in 5 ms where
    intersecting the lists over the whole index takes 80. ``by_ids``: read the ids of
    the records met first, and check the scope on them when there are at most
    ``MATERIALISE``."""
    if not all(every):
        return qs.none()
    lists = [_holding(record_type, ts) for ts in every]
    # One list is made distinct for the same reason as several are intersected: a plain
    # subquery let PostgreSQL sort the whole scope and look each case up in the token
    # index in turn until enough were found, which it expects soon, counting each token
    # a record holds as another record (a relay cell's typo tier of a name rare in its
    # country: 6.8 s at 340,000 cases). A distinct or intersected list is joined whole.
    met = lists[0].intersection(*lists[1:]) if len(lists) > 1 else lists[0].distinct()
    # Few records met (a name rare in the country, or a typed spelling): their ids are read
    # first and the scope checked on them alone. Joined as a subquery, PostgreSQL expects
    # each token a record holds to be another record (57,000 where 1,300 were met) and read
    # the whole scope's index to join them (230 of 295 ms for a relay cell at 1,000,000),
    # or hashed the whole country's lists to check a team's cases.
    # (``by_ids`` false: the caller knows more are met.)
    if by_ids:
        ids = [row["record_id"] for row in met[:MATERIALISE + 1]]
        if len(ids) <= MATERIALISE:
            return qs.filter(pk__in=ids)
    if not wide:
        for held in lists:
            qs = qs.filter(pk__in=held)
        return qs
    return qs.filter(pk__in=met)


# The candidates are checked by their ids when the token index meets at most this many
# records (``_part``).
MATERIALISE = 5_000


# With the names alone, a search (results cut at a margin from the best) reads the weaker
# tiers only when the stronger ones found fewer candidates than this (``score``).
ENOUGH = 50

# A scope of more records than this is wide (``_part``); in a wide scope, the newest
# ``WALK`` records are looked up first (``score``).
NARROW = 20_000
WALK = 5_000


class _Walk:
    """The newest ``WALK`` records of a scope and which of the query's tokens each holds,
    read once (two queries) for every tier and part of the candidates. In a wide scope,
    a common name's candidates are found among them; a scope of at most ``WALK``
    records is read whole this way, and its candidates are all here.

    The tokens are read record by record (``nametoken_record_cov``): the token list is a
    filter the index cannot use (``Left``), otherwise PostgreSQL reads every holder of
    every key of the query (700,000 index entries for two names at 1,000,000 cases) to
    keep those of 5,000 records. The ids are those of ``qs``'s records, so the record
    type need not be checked: the index (record, token) then answers alone."""

    def __init__(self, qs: QuerySet, words: list[QueryWord], record_type: str, keys: list[str]):
        from django.db.models.functions import Left

        from yiri.cases.models import NameToken

        self.words, self.keys = words, keys
        newest = qs.order_by("-updated_at")
        # Each record's values of the fields the candidates are sorted on (``score``: the
        # place and year gaps annotated on ``qs``, the date), newest first.
        fields = [k.lstrip("-") for k in keys]
        self.rows = {pk: values for pk, *values in newest.values_list("pk", *fields)[:WALK]}
        wanted = sorted({t for every in _token_lists(words, None) for ts in every for t in ts})
        self.held: dict = {}
        for pk, token in (NameToken.objects.annotate(_token=Left("token", 32))
                          .filter(_token__in=wanted, record_id__in=newest.values("pk")[:WALK])
                          .values_list("record_id", "token")):
            self.held.setdefault(pk, set()).add(token)

    def first(self, kinds: frozenset | None, limit: int, seen: list) -> list:
        """The ids of the first ``limit`` of these records that are candidates by
        ``kinds`` (``candidates``), less ``seen``, in the candidates' order."""
        parts = [[set(ts) for ts in every] for every in _token_lists(self.words, kinds)]
        skip = set(seen)
        out = [pk for pk in self.rows if pk not in skip and pk in self.held
               and any(all(self.held[pk] & ts for ts in every) for every in parts)]
        out.sort(key=lambda pk: _sort_key(self.keys, self.rows[pk]))  # stable: newest first
        return out[:limit]


def _first(parts: list[QuerySet], order: list, keys: list[str], limit: int, seen: list) -> list:
    """The ids of the first ``limit`` records of the union of ``parts`` in ``order``
    (``keys``: the fields it sorts on, each ascending but ``-field``; a blank last), less
    ``seen``: the first ``limit`` of each part, merged."""
    rows: dict = {}
    fields = [k.lstrip("-") for k in keys]
    for part in parts:
        if seen:
            part = part.exclude(pk__in=seen)
        for pk, *values in part.order_by(*order).values_list("pk", *fields)[:limit]:
            rows[pk] = values
    if len(parts) == 1:
        return list(rows)

    return [pk for pk, _ in sorted(rows.items(), key=lambda item: _sort_key(keys, item[1]))[:limit]]


def _sort_key(keys: list[str], values) -> list:
    """The key sorting a record's ``values`` of the fields ``keys`` as the candidates'
    query does (each ascending but ``-field``; a blank last)."""
    out = []
    for k, v in zip(keys, values, strict=True):
        if v is None:
            out.append((1, 0))
        elif k.startswith("-"):
            out.append((0, -v.timestamp() if hasattr(v, "timestamp") else -v))
        else:
            out.append((0, v))
    return out


def record_words(record) -> list[str]:
    from yiri.cases import identity
    from yiri.cases.columns import SEARCH_FIELDS

    fields = identity.read_identity(record).get("fields", {})
    spec = SEARCH_FIELDS.get(record.RECORD_TYPE)
    out: list[str] = []
    for code in spec.names if spec else ():
        out.extend(names.key_words(fields.get(code) or "", unique=False))
    return out


def record_parents(record) -> list[list[str]]:
    """The words of each parent's name on ``record`` (mother, father), decrypted."""
    from yiri.cases import identity
    from yiri.cases.columns import SEARCH_FIELDS

    spec = SEARCH_FIELDS.get(record.RECORD_TYPE)
    if not spec or not spec.parents:
        return []
    rows_identity = identity.read_identity(record).get("rows", {})
    out = []
    for subform, (name_code, relation_code, relations) in spec.parents.items():
        clear = rows_identity.get(subform, {})
        for row in (record.data or {}).get(subform) or []:
            if not isinstance(row, dict) or row.get("_deleted") or row.get(relation_code) not in relations:
                continue
            name = row.get(name_code) or clear.get(row.get("_id"), {}).get(name_code)
            words = names.key_words(str(name or ""), unique=False)
            if words:
                out.append(words)
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


# What the worker typed besides the names moves a record up or down (it excludes none).
# Estimated ages are often a year or two off, on both registrations.
YEAR_BONUS = {0: 0.08, 1: 0.05, 2: 0.01, 3: -0.1}
YEAR_FAR = -0.3  # four years or more apart: below the cut-off unless a parent keeps it
SEX_BONUS, SEX_OTHER = 0.02, -0.3
# Steps between the typed place and the record's in the location tree: 0 the same place,
# 1 a village and its commune, 2 two villages of one commune, 4 two villages of one
# province; beyond, a place far away.
PLACE_BONUS = {0: 0.08, 1: 0.05, 2: 0.04, 3: 0.02, 4: 0.0}
PLACE_FAR = -0.06
# Times the similarity of the typed parent's name to a parent's name on the record, every
# typed word matched (``name_similarity``): the father's family name alone, which is
# often the child's, says little.
PARENT_BONUS = 0.3
# Results kept: those scoring at least the best less this (names alone: 1 the same
# name, 0.95 the same spelling, 0.85 one typo...); a long tail of weak matches is not
# shown when a far better one is there.
RESULT_MARGIN = 0.2


def _year_bonus(born, years: tuple[int, int] | None) -> float:
    """Closeness of a birth year to the years the worker gave (ages are often estimated:
    a year or two off is usual)."""
    if not years or born is None:
        return 0.0
    low, high = years
    d = max(low - born.year, born.year - high, 0)
    return YEAR_BONUS.get(d, YEAR_FAR)


def _place_bonus(path: str, typed: str | None) -> float:
    """How close the record's place (its location path, "BF/BF-01/BF-BAL/…/") is to the
    typed one in the location tree; 0 when either is unknown."""
    if not typed or not path:
        return 0.0
    a, b = [c for c in typed.split("/") if c], [c for c in path.split("/") if c]
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    return PLACE_BONUS.get((len(a) - common) + (len(b) - common), PLACE_FAR)


def _sex_bonus(sex: str, typed: str | None) -> float:
    if typed not in ("male", "female") or sex not in ("male", "female"):
        return 0.0
    return SEX_BONUS if sex == typed else SEX_OTHER


def score(qs: QuerySet, text: str, *, record_type: str = "case", parents: str | None = None,
          birth_years: tuple[int, int] | None = None, sex: str | None = None,
          place: str | None = None, threshold: float = 0.0,
          margin: float | None = None) -> list[tuple[object, float]]:
    """``(record id, score)`` of the records of ``qs`` matching the typed ``text``, best
    first (ties: the order they were compared in). ``parents`` (a parent's name),
    ``birth_years`` (the range the child was born in, as far as the worker knows),
    ``sex`` and ``place`` (a location path) raise the records they fit and lower those
    they do not; they exclude none. With ``margin``, only the records scoring at least
    the best less ``margin`` are returned.

    At most ``DECRYPT_LIMIT`` candidates are decrypted, tier by tier (``TIERS``): those
    met by the word, its spelling, sound or other forms first, then those met by a
    letter's typo, then by a beginning or a typo in the sound; within a tier, the ones
    closest to the typed birth years and place, then the most recently updated."""
    keys = blind_index.ring()
    words = query_words(text, keys)
    if not words:
        return []
    pwords = [QueryWord(w) for w in names.significant(names.key_words(parents))] if parents else []
    weigh(words + pwords, record_type)
    model = qs.model
    columns = ["pk", "identity_blob", "updated_at"]
    order: list = []
    if birth_years and hasattr(model, "date_of_birth"):
        columns.append("date_of_birth")
        middle = (birth_years[0] + birth_years[1]) // 2
        qs = qs.annotate(_year_gap=Abs(ExtractYear("date_of_birth") - Value(middle)))
        order.append(F("_year_gap").asc(nulls_last=True))
    else:
        birth_years = None
    if place and hasattr(model, "location_path"):
        columns.append("location_path")
        parts = [c for c in place.split("/") if c]
        commune = "".join(c + "/" for c in parts[:-1]) if len(parts) > 1 else place
        qs = qs.annotate(_place_gap=DbCase(
            When(location_path__startswith=place, then=Value(0)),
            When(location_path__startswith=commune, then=Value(1)),
            default=Value(2), output_field=IntegerField()))
        order.insert(0, "_place_gap")
    else:
        place = None
    if sex in ("male", "female") and hasattr(model, "sex"):
        columns.append("sex")
    else:
        sex = None
    if pwords and hasattr(model, "data"):
        columns.append("data")
    else:
        pwords = []
    # The most recently updated first, through an expression rather than the column: on
    # the column, PostgreSQL may walk the cases in scope from the newest and look each one
    # up in the token index, betting on finding enough early; when the name is rarer in
    # the scope than in the whole index (a Togolese name in a Burkinabè cell) or than its
    # statistics say, the walk covers the whole scope (1.4 s for a relay cell at 340,000
    # cases). Sorting the candidates found costs what finding them costs.
    order.append(Coalesce("updated_at", "created_at").desc())
    keys = [*(["_place_gap"] if place else []), *(["_year_gap"] if birth_years else []),
            "-updated_at"]
    ids: list = []
    size = qs.values("pk")[:max(NARROW, WALK) + 1].count()
    wide = size > NARROW
    # A scope of at most WALK records (a worker's cases) is read whole by the walk. A
    # common name fills the page from the newest records of a wide scope: if the newest
    # WALK hold enough, they hold the first ``limit`` (an exact answer, found by looking
    # up WALK records rather than every holder).
    whole = size <= WALK
    walk = (_Walk(qs, words, record_type, keys)
            if whole or (wide and not (place or birth_years)) else None)
    # Names alone, in a list cut near the best (a search): the weaker tiers only when the
    # stronger ones left few candidates. The live check and tracing (no margin) score
    # every candidate on the other fields, where a typo of a common name may come first.
    enough = None if (place or birth_years or sex or pwords or margin is None) else ENOUGH
    for n, kinds in enumerate(TIERS):
        limit = DECRYPT_LIMIT - len(ids)
        if limit <= 0 or (n and enough is not None and len(ids) >= enough):
            break
        if walk is not None:
            walked = walk.first(kinds, limit, ids)
            if whole or len(walked) >= limit:
                ids += walked
                continue
        ids += _first(candidates(qs, words, record_type, kinds=kinds, wide=wide), order, keys,
                      limit, ids)
    rank_of = {pk: i for i, pk in enumerate(ids)}
    found = sorted(model.objects.filter(pk__in=ids).only(*columns), key=lambda r: rank_of[r.pk])
    out = []
    for rank, record in enumerate(found):
        s = name_similarity(words, record_words(record))
        if s <= 0 or s < threshold:
            continue
        parent = 0.0
        if pwords:
            parent = PARENT_BONUS * max((name_similarity(pwords, p) for p in record_parents(record)),
                                        default=0.0)
        hints = []
        if birth_years:
            hints.append(_year_bonus(record.date_of_birth, birth_years))
        if sex:
            hints.append(_sex_bonus(record.sex, sex))
        if place:
            hints.append(_place_bonus(record.location_path, place))
        out.append((record.pk, s + sum(hints) + parent, rank, s + sum(hints), parent))
    out.sort(key=lambda t: (-t[1], t[2]))
    if margin is not None and out:
        # The bar is set without the parents: a parent left blank, or the other parent
        # written, says nothing against a record; a parent's name found on a record can
        # keep it in.
        floor = max(t[3] for t in out) - margin
        out = [t for t in out if t[3] + t[4] >= floor]
    return [(pk, s) for pk, s, *_ in out]


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
