"""Search recall on labelled records: is the other registration of a child found?

Shared by ``bench/bench_search_recall.py`` (20,000 generated records) and the recall test
(a few hundred). Labelled rows (``matching.generator``, or any labelled CSV of the same
columns) are registered as cases through the write path; then every record that has a
true duplicate is searched for as a worker would type it, given name then family name,
and we count how often another record of the same child comes in the first 10 results,
and how many results there are to read.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

TODAY = dt.date(2026, 1, 1)  # the generator's "today"


def answers_of(row: dict, today: dt.date = TODAY) -> dict:
    """A labelled row as the answers of a case (names, sex, birth, place, parents)."""
    answers: dict = {"name_first": row.get("given") or "", "name_last": row.get("family") or "",
                     "registration_date": today.isoformat()}
    answers["sex"] = row["sex"] if row.get("sex") in ("male", "female") else "unknown"
    if row.get("birth_date"):
        answers["date_of_birth"] = row["birth_date"]
        born = dt.date.fromisoformat(row["birth_date"])
        answers["age"] = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    else:  # the form requires an age: estimated from the year, or a guess when unknown
        year = int(row["birth_year"]) if row.get("birth_year") else today.year - 10
        answers["age"] = max(0, today.year - year)
        answers["age_estimated"] = True
    if row.get("place"):
        answers["location_current"] = row["place"]
    family = [{"relation": rel, "relation_name": row[rel]} for rel in ("mother", "father")
              if row.get(rel)]
    if family:
        answers["family_details"] = family
    return {k: v for k, v in answers.items() if v not in ("", None)}


def register(rows: list[dict], user, *, batch: int = 2000) -> dict[str, object]:
    """Register ``rows`` as cases of ``user``; returns record id -> case pk."""
    from yiri.cases.services import bulk_create_records

    out: dict[str, object] = {}
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        cases = bulk_create_records(user, "case", [answers_of(r) for r in chunk])
        out.update((r["record_id"], c.pk) for r, c in zip(chunk, cases, strict=True))
    return out


@dataclass
class Recall:
    searches: int
    found_top10: int
    found_any: int
    empty: int
    median_results: float
    p90_results: float
    # variant kind -> [searches, other record in the top 10, found at all] (``variant``)
    by_variant: dict = field(default_factory=dict)
    # how many records hold the typed name exactly (1, 2-10, 11-50, > 50) -> the same
    by_frequency: dict = field(default_factory=dict)

    @property
    def recall_at_10(self) -> float:
        return self.found_top10 / self.searches if self.searches else 0.0

    @property
    def recall_any(self) -> float:
        return self.found_any / self.searches if self.searches else 0.0

    def __str__(self) -> str:
        return (f"{self.searches} searches: other record in top 10 {self.recall_at_10:.1%}, "
                f"anywhere {self.recall_any:.1%}, no result {self.empty / max(1, self.searches):.1%}, "
                f"results median {self.median_results:g}, p90 {self.p90_results:g}")

    def breakdown(self) -> str:
        """One line per variant kind and per name frequency: searches, top 10, found."""
        lines = []
        for title, table in (("variant", self.by_variant), ("records with the typed name", self.by_frequency)):
            for key, (n, top, anywhere) in sorted(table.items(), key=lambda kv: -kv[1][0]):
                lines.append(f"  {title} {key:<28} {n:6d} searches  top 10 {top / n:6.1%}  "
                             f"found {anywhere / n:6.1%}")
        return "\n".join(lines)


def typed(row: dict) -> str:
    """What a worker types: the given name, then the family name, as on this record."""
    return " ".join(p for p in (row.get("given"), row.get("family")) if p)


_ORDER = ("same", "accents", "spelling", "typo", "short form", "other", "blank")


def _part_kind(a: str, b: str) -> str:
    from rapidfuzz.distance import OSA

    from yiri.lib import names

    from . import names as variants

    na, nb = names.normalise(a).replace(" ", ""), names.normalise(b).replace(" ", "")
    if not na or not nb:
        return "blank"
    if a.strip() == b.strip():
        return "same"
    if na == nb:
        return "accents"
    if names.spelling(na) == names.spelling(nb):
        return "spelling"
    if nb in variants.variants(na):
        return "short form"
    if OSA.distance(na, nb) <= 2 or OSA.distance(names.spelling(na), names.spelling(nb)) <= 2:
        return "typo"
    return "other"


def variant(row: dict, other: dict) -> str:
    """How ``other`` writes the child's names compared with ``row``: the harder of the
    given and family names' kinds (same, accents or case, spelling, typo, short form,
    other, blank), "swapped + ..." when the given and family names changed places."""
    from rapidfuzz import fuzz as _fuzz

    g, f = row.get("given") or "", row.get("family") or ""
    og, of = other.get("given") or "", other.get("family") or ""
    swapped = f and of and (_fuzz.ratio(g.lower(), of.lower()) + _fuzz.ratio(f.lower(), og.lower())
                            > _fuzz.ratio(g.lower(), og.lower()) + _fuzz.ratio(f.lower(), of.lower()))
    if swapped:
        og, of = of, og
    kinds = [_part_kind(g, og), _part_kind(f, of)]
    worst = max(kinds, key=_ORDER.index)
    if worst == "short form" and "typo" in kinds:
        worst = "short form + typo"
    return ("swapped + " if swapped else "") + worst


def _frequency_bucket(n: int) -> str:
    return "1" if n <= 1 else "2-10" if n <= 10 else "11-50" if n <= 50 else "> 50"


def measure(rows: list[dict], ids: dict[str, object], search: Callable[[dict], list],
            *, limit: int | None = None) -> Recall:
    """Search every record that has a true duplicate (the first ``limit`` of them):
    ``search(row)`` returns the ids found for that record, best first (``typed(row)``
    is what the worker types as names)."""
    from yiri.lib import names

    clusters: dict[str, list[str]] = defaultdict(list)
    by_id = {row["record_id"]: row for row in rows}
    holding: dict[str, int] = defaultdict(int)
    for row in rows:
        clusters[row["cluster_id"]].append(row["record_id"])
        holding[names.normalise(typed(row))] += 1
    targets = [r for r in rows if len(clusters[r["cluster_id"]]) > 1 and typed(r)]
    if limit is not None:
        targets = targets[:limit]
    top10 = anywhere = empty = 0
    sizes = []
    by_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_frequency: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in targets:
        others = {ids[o]: o for o in clusters[row["cluster_id"]] if o != row["record_id"]}
        found = search(row)
        sizes.append(len(found))
        empty += not found
        hit10 = bool(set(others) & set(found[:10]))
        hit = bool(set(others) & set(found))
        top10 += hit10
        anywhere += hit
        # The kind of the other record found first (or of the first other record).
        first = next((others[pk] for pk in found if pk in others), next(iter(others.values())))
        for table, key in ((by_variant, variant(row, by_id[first])),
                           (by_frequency, _frequency_bucket(holding[names.normalise(typed(row))]))):
            table[key][0] += 1
            table[key][1] += hit10
            table[key][2] += hit
    sizes.sort()
    return Recall(len(targets), top10, anywhere, empty,
                  statistics.median(sizes) if sizes else 0,
                  sizes[int(0.9 * (len(sizes) - 1))] if sizes else 0,
                  dict(by_variant), dict(by_frequency))


def legacy_search(qs, text: str, page: int = 50) -> list:
    """The search before issue 10, for comparison: every typed word must equal, begin or
    sound like (old phonetic key) a name word; one page in database order, then ranked by
    ``token_sort_ratio`` of the display name."""
    from yiri.cases import blind_index
    from yiri.cases.identity import display_name
    from yiri.cases.models import NameToken
    from yiri.lib import names

    keys = blind_index.ring()
    for word in names.tokens(text):
        qs = qs.filter(pk__in=NameToken.objects.filter(
            record_type="case", token__in=blind_index.query_word_tokens(word, keys)).values("record_id"))
    records = list(qs[:page])
    query = names.normalise(text)
    scores = {r.pk: fuzz.token_sort_ratio(query, names.normalise(display_name(r))) for r in records}
    return [r.pk for r in sorted(records, key=lambda r: -scores[r.pk])]
