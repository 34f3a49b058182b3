"""Finding records: list filters and the name / phone / number search of cases.

Everything starts from ``visible_to(user)`` so a search never reaches further than a list.
Name search (``matching.candidates``) looks each typed word up in ``NameToken``, whose
tokens are keyed blind indexes (``blind_index``: HMACs, no name in clear), by every key it
has: the word, its beginning, its sound keys (spellings, transliterations, one typo), the
other forms of a given name (Madou / Mahamadou). So "ouedraogo", "WEDRAOGO", "ouédr",
"Ouedrago" and "Ouédraogo" find the same child, in either name order. The candidates'
names are then compared (edit distance, weighted by how rare each typed word is) and the
results come best first; parents' names, when typed, raise the records they match.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable

from django.db.models import Case as DbCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from yiri.formconfig.schema import get_schema
from yiri.lib import names
from yiri.matching import candidates
from yiri.network.models import Location

from . import blind_index
from .access import field_limits, readable_sections
from .columns import SEARCH_FIELDS
from .models import Case, NameToken, Record

_DIGITS = re.compile(r"\D+")


def _years_ago(years: int, today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def filter_records(
    qs: QuerySet,
    *,
    status: str | None = None,
    location: str | None = None,
    agency: str | None = None,
    owner: uuid.UUID | str | None = None,
    updated_since: dt.datetime | None = None,
    workflow_stage: str | None = None,
    risk_level: str | None = None,
    sex: str | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    concern: str | None = None,
) -> QuerySet:
    """Narrow ``qs`` (already scoped) by the list filters; every one is an indexed column.

    ``location`` is a location code and keeps that place and everything below it; an
    unknown code matches nothing. Age bounds are in whole years, through the birth date.
    """
    if status:
        qs = qs.filter(status=status)
    if location:
        path = Location.objects.filter(code=location).values_list("path", flat=True).first()
        qs = qs.filter(location_path__startswith=path) if path else qs.none()
    if agency:
        qs = qs.filter(owning_agency__code=agency)
    if owner:
        qs = qs.filter(owner_id=owner)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if workflow_stage:
        qs = qs.filter(workflow_stage=workflow_stage)
    if risk_level:
        qs = qs.filter(risk_level=risk_level)
    if sex:
        qs = qs.filter(sex=sex)
    today = timezone.localdate()
    if age_min is not None:
        qs = qs.filter(date_of_birth__lte=_years_ago(age_min, today))
    if age_max is not None:
        # Aged at most n: born after the day n + 1 years ago.
        qs = qs.filter(date_of_birth__gt=_years_ago(age_max + 1, today))
    if concern:
        qs = qs.filter(concerns__contains=f"|{concern}|")
    return qs


def _word_q(word: str, keys: blind_index.KeyRing) -> Q:
    """A name word equal to ``word``, starting with it, or sounding like it: the HMACs
    of the typed word looked up on the token index (``blind_index``)."""
    return Q(token__in=blind_index.query_word_tokens(word, keys))


def _tokens(record_type: str, q: Q) -> QuerySet:
    return NameToken.objects.filter(q, record_type=record_type).values("record_id")


def names_readable(user, record_type: str) -> bool:
    """Whether ``user`` may read the sections holding the names and phone numbers.

    Lists show a display name only to such a user. Finding a child by name also tells
    whoever searches that the name is on file, so others may not search by name either.
    """
    schema = get_schema(record_type)
    spec = SEARCH_FIELDS.get(record_type)
    codes = (spec.top_level + tuple(spec.rows)) if spec else ()
    needed = {schema.fields[c].section for c in codes if c in schema.fields}
    limits = field_limits(user, record_type)
    names = (spec.names + tuple(spec.rows)) if spec else ()
    if any(not limits.shows(c) for c in names if c in schema.fields):
        return False  # a role denied the names may not search by them
    return needed <= set(readable_sections(user, schema))


def phones_searchable(user, record_type: str) -> bool:
    """Whether ``user`` may search ``record_type`` by phone: a role denied the phone
    field (``Role.field_rights``) would otherwise learn whose number it is."""
    spec = SEARCH_FIELDS.get(record_type)
    limits = field_limits(user, record_type)
    return names_readable(user, record_type) and all(
        limits.shows(c) for c in (spec.phones if spec else ()))


def search_cases(
    user,
    *,
    q: str | None = None,
    phone: str | None = None,
    short_id: str | None = None,
    parent: str | None = None,
    **filters,
) -> QuerySet:
    """The cases ``user`` may see that match every criterion given.

    Each word of ``q`` must meet a name word of the case by one of its keys and be close
    enough to it (``matching.candidates``; with three words or more, one may miss); the
    result is ordered best first, and stops at the results close to the best
    (``candidates.RESULT_MARGIN``). ``parent`` (a mother's or father's name) ranks the
    cases whose parent it names first, never excludes one. With a name, the age bounds
    and the place (``location``) rank rather than filter (``candidates.score``): the
    closest birth years, the nearest places (the same village, its commune, a
    neighbouring village...) first; a case born 4+ years off falls below the cut-off
    unless a parent's name keeps it in. The sex filters, but keeps the cases that do not
    say it (after those of that sex). ``phone`` matches on its
    last 8 digits; ``short_id`` is exact, in any letter case. ``filters`` are those of
    ``filter_records``. Tombstoned cases are never returned.
    """
    years = None
    if q and q.strip() and (filters.get("age_min") is not None or filters.get("age_max") is not None):
        # With a name, the age ranks rather than filters: estimated ages are often a year
        # or two off, on both registrations.
        today = timezone.localdate()
        low, high = filters.pop("age_min", None), filters.pop("age_max", None)
        years = (today.year - (high if high is not None else 30) - 1,
                 today.year - (low if low is not None else 0))
    sex = place = None
    if q and q.strip():
        # With a name, the place ranks rather than filters: a child registered in the
        # neighbouring village or only by commune is still found (the closest places
        # first); the sex keeps the records that do not say it.
        sex = filters.pop("sex", None) or None
        if filters.get("location"):
            code = filters.pop("location")
            place = Location.objects.filter(code=code).values_list("path", flat=True).first()
            if place is None:
                return Case.objects.none()
    qs = filter_records(Case.objects.visible_to(user), **filters)
    if sex in ("male", "female"):
        qs = qs.filter(sex__in=(sex, "unknown", ""))  # the sex filters, a blank sex is kept
    elif sex:
        qs = qs.filter(sex=sex)
    if short_id is not None and short_id.strip():
        typed = short_id.strip()
        # Stored ids are "<NODE>-00042"; trying the typed, upper and lower forms keeps the
        # lookup on the unique index, which UPPER(short_id) = UPPER(...) would not.
        qs = qs.filter(short_id__in={typed, typed.upper(), typed.lower()})
    words = names.tokens(q) if q else []
    digits = _DIGITS.sub("", phone or "")
    if (q and q.strip()) or phone:
        if not names_readable(user, Case.RECORD_TYPE):
            return qs.none()
        if q and q.strip() and not words:
            return qs.none()
        if phone and (len(digits) < 6 or not phones_searchable(user, Case.RECORD_TYPE)):
            return qs.none()
    keys = blind_index.ring() if words or digits else None
    if digits:
        qs = qs.filter(pk__in=_tokens(Case.RECORD_TYPE,
                                      Q(token__in=blind_index.query_phone_tokens(digits[-8:], keys))))
    if words:
        ranked = candidates.score(qs, q, record_type=Case.RECORD_TYPE, parents=parent,
                                  birth_years=years, sex=sex, place=place,
                                  margin=candidates.RESULT_MARGIN)
        return ordered(qs, [pk for pk, _ in ranked])
    return qs


def ordered(qs: QuerySet, ids: list) -> QuerySet:
    """``qs`` restricted to ``ids``, in that order (a queryset still: pages, counts)."""
    if not ids:
        return qs.none()
    rank = DbCase(*(When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)),
                  output_field=IntegerField())
    return qs.filter(pk__in=ids).annotate(search_rank=rank).order_by("search_rank")


def rank_page(records: Iterable[Record], q: str | None) -> list[Record]:
    """One page of results as ``search_cases`` ordered them (best first)."""
    return list(records)
