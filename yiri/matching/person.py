"""A person as the duplicate detector compares them: from a case, or from a labelled CSV row.

Everyone who compares two children (the batch deduplication, the live check at
registration, tracing, the evaluation command) first turns each record into a ``Person``
and then calls ``scoring.score_pair``/``score_pairs``: one comparison, one score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    key: str  # the record's id (a case's primary key, a CSV row's record_id)
    given: str = ""
    family: str = ""
    other_names: tuple[str, ...] = ()  # middle name, other names, nickname
    sex: str = ""  # "male" / "female" / ""
    birth_year: int | None = None
    birth_date: dt.date | None = None
    age_estimated: bool = False
    place: str = ""  # a location code (village, commune...) or any place text
    place_name: str = ""
    mother: str = ""
    father: str = ""
    organisation: str = ""
    # Other fields a labelled CSV brings (FEBRL's address, postcode, id...), compared as
    # text: ((column, value), ...).
    extra: tuple[tuple[str, str], ...] = field(default=())


def _sex(value) -> str:
    v = str(value or "").strip().lower()
    if v in ("male", "m", "masculin", "garcon", "garçon", "h", "homme"):
        return "male"
    if v in ("female", "f", "feminin", "féminin", "fille", "femme"):
        return "female"
    return ""


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _parent_name(rows: list, relation: str) -> str:
    for row in rows or []:
        if isinstance(row, dict) and row.get("relation") == relation and row.get("relation_name"):
            return str(row["relation_name"])
    return ""


def _home_place(answers: dict) -> str:
    """Where the child comes from, which stays the same when another organisation far
    away registers them again: the route's origin, else a parent's place, else where
    the child is now."""
    if answers.get("route_origin"):
        return str(answers["route_origin"])
    for row in answers.get("family_details") or []:
        if isinstance(row, dict) and row.get("relation") in ("mother", "father") \
                and row.get("relation_location"):
            return str(row["relation_location"])
    return str(answers.get("location_current") or "")


def person_from_answers(key: str, answers: dict, *, registered: dt.date | None = None,
                        organisation: str = "", place_names: dict | None = None) -> Person:
    """A ``Person`` from a case's decrypted answers (``identity.read_answers``)."""
    birth_date = None
    try:
        birth_date = _date(answers.get("date_of_birth"))
    except ValueError:
        birth_date = None
    birth_year = birth_date.year if birth_date else None
    age = answers.get("age")
    if birth_year is None and age not in (None, ""):
        try:
            on = registered or _date(answers.get("registration_date")) or dt.date.today()
        except ValueError:
            on = dt.date.today()
        try:
            birth_year = on.year - int(age)
        except (TypeError, ValueError):
            birth_year = None
    others = tuple(str(answers[k]) for k in ("name_middle", "name_other", "name_nickname")
                   if answers.get(k))
    place = _home_place(answers)
    return Person(
        key=str(key),
        given=str(answers.get("name_first") or ""),
        family=str(answers.get("name_last") or ""),
        other_names=others,
        sex=_sex(answers.get("sex")),
        birth_year=birth_year,
        birth_date=birth_date,
        age_estimated=bool(answers.get("age_estimated")) or birth_date is None,
        place=place,
        place_name=(place_names or {}).get(place, ""),
        mother=_parent_name(answers.get("family_details"), "mother"),
        father=_parent_name(answers.get("family_details"), "father"),
        organisation=organisation,
    )


def person_from_record(case, schema=None, place_names: dict | None = None) -> Person:
    """A ``Person`` from a case (decrypting its identifying answers: call it only where
    the caller may read them, or where the result is shown to no one, as in the batch)."""
    from yiri.cases import identity

    answers = identity.read_answers(case, schema)
    agency = getattr(case, "owning_agency", None)
    return person_from_answers(
        str(case.pk), answers, registered=getattr(case, "registration_date", None),
        organisation=agency.code if agency is not None else "", place_names=place_names)


KNOWN_COLUMNS = {"record_id", "cluster_id", "given", "family", "sex", "birth_date",
                 "birth_year", "age_estimated", "place", "mother", "father", "organisation",
                 "other_names"}


def person_from_row(row: dict) -> Person:
    """A ``Person`` from a labelled-CSV row (docs/matching.md). ``ValueError`` (French
    message) on a malformed date or year."""
    rid = str(row.get("record_id") or "").strip()
    try:
        birth_date = _date(row.get("birth_date"))
    except ValueError:
        raise ValueError(f"date de naissance illisible « {row.get('birth_date')} » "
                         "(attendu AAAA-MM-JJ)") from None
    year_text = str(row.get("birth_year") or "").strip()
    if year_text:
        try:
            birth_year = int(float(year_text))
        except ValueError:
            raise ValueError(f"année de naissance illisible « {year_text} »") from None
    else:
        birth_year = birth_date.year if birth_date else None
    extra = tuple((k, str(v).strip()) for k, v in row.items()
                  if k and k not in KNOWN_COLUMNS and v is not None and str(v).strip())
    return Person(
        key=rid,
        given=str(row.get("given") or "").strip(),
        family=str(row.get("family") or "").strip(),
        other_names=tuple(str(row.get("other_names") or "").split(";")) if row.get("other_names") else (),
        sex=_sex(row.get("sex")),
        birth_year=birth_year,
        birth_date=birth_date,
        age_estimated=str(row.get("age_estimated") or "").strip().lower() in ("1", "true", "oui", "yes"),
        place=str(row.get("place") or "").strip(),
        mother=str(row.get("mother") or "").strip(),
        father=str(row.get("father") or "").strip(),
        organisation=str(row.get("organisation") or "").strip(),
        extra=extra,
    )
