"""Derive a record's indexed columns and search tokens from its answers.

This is the only code that sets those columns, so lists, filters and reports agree with
the answers they summarise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from yiri.formconfig.schema import FormSchema
from yiri.lib import names
from yiri.network.models import Location

from . import blind_index
from .models import Case, CaseStatus, Incident, Record

NAME_FIELDS = ("name_first", "name_middle", "name_last", "name_nickname", "name_other")


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def estimated_birth_date(age: Any, on: dt.date) -> dt.date | None:
    try:
        years = int(float(age))
    except (TypeError, ValueError):
        return None
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def name_sort_key(answers: dict) -> str:
    """What "Nom (A → Z)" sorts by: normalised last name, then first name.

    Computed from the answers when a list is sorted (``web.listing``), never stored: a
    column holding it would be the children's names in clear.
    """
    last = names.normalise(answers.get("name_last") or answers.get("inquirer_name_last"))
    first = names.normalise(answers.get("name_first") or answers.get("inquirer_name_first"))
    return f"{last} {first}".strip()


def derive_columns(record: Record, answers: dict, location_cache: dict | None = None) -> None:
    code = answers.get("location_current") or answers.get("incident_location") or answers.get(
        "inquirer_location"
    )
    if code:
        cache = location_cache if location_cache is not None else {}
        if code not in cache:
            cache[code] = Location.objects.filter(code=code).only("id", "path").first()
        loc = cache[code]
        record.location_id, record.location_path = (loc.id, loc.path) if loc else (None, "")
    else:
        record.location_id, record.location_path = None, ""
    if isinstance(record, Case):
        record.sex = answers.get("sex") or ""
        record.risk_level = answers.get("risk_level") or ""
        record.registration_date = _date(answers.get("registration_date"))
        dob = _date(answers.get("date_of_birth"))
        record.age_estimated = bool(answers.get("age_estimated")) or dob is None
        if dob is None:
            on = record.registration_date or timezone.localdate()
            dob = estimated_birth_date(answers.get("age"), on)
        record.date_of_birth = dob
        concerns = answers.get("protection_concerns") or []
        record.concerns = ("|" + "|".join(concerns) + "|") if concerns else ""
        record.urgent = bool(answers.get("urgent_protection_concern"))
        record.consent_for_services = bool(answers.get("consent_for_services"))
        record.consent_disclosure = bool(answers.get("disclosure_other_orgs"))
        record.closure_date = _date(answers.get("closure_date"))
        if record.status == CaseStatus.CLOSED and record.closure_date is None:
            record.closure_date = timezone.localdate()
        for name, value in dashboard_columns(answers).items():
            setattr(record, name, value)
    elif isinstance(record, Incident):
        record.incident_date = _date(answers.get("incident_date"))


def _live(answers: dict, subform: str) -> list[dict]:
    return [r for r in answers.get(subform) or [] if isinstance(r, dict) and not r.get("_deleted")]


def dashboard_columns(answers: dict) -> dict[str, Any]:
    """The case's columns the dashboard counts by (``Case.identified_by`` and after)."""
    return {"identified_by": str(answers.get("identified_by") or "")[:40],
            "services": service_tokens(answers), "next_due": next_due(answers),
            "missing_required": missing_required(answers)}


def service_tokens(answers: dict) -> str:
    """``|type+|type-|``: one token per live service row, ``+`` once implemented, sorted
    (cases with the same services share one string, so the dashboard groups by it)."""
    tokens = sorted(f"{r.get('service_type') or '?'}{'+' if r.get('implemented') else '-'}"
                    for r in _live(answers, "services"))
    out = ("|" + "|".join(tokens) + "|") if tokens else ""
    return out if len(out) <= 400 else out[:out.rfind("|", 0, 400) + 1]


def next_due(answers: dict) -> dt.date | None:
    """The earliest due date of the work still to do on the case: the case plan while it
    has no date, each service appointment not implemented, each follow-up not done (the
    tasks of ``workflow.services.tasks_for``)."""
    dues = []
    if not answers.get("case_plan_date"):
        dues.append(_date(answers.get("case_plan_due_date")))
    dues += [_date(r.get("appointment_date")) for r in _live(answers, "services") if not r.get("implemented")]
    dues += [_date(r.get("needed_by")) for r in _live(answers, "followups") if not r.get("done_on")]
    return min((d for d in dues if d), default=None)


def missing_required(answers: dict) -> int:
    """How many required answers of the form's main sections are empty (those shown:
    a required field hidden by its condition is not missing), as ``validate_answers``
    would find them. Kept on each write; a form change that makes a field required
    counts on the cases written after it (``manage.py rebuild_search_index --columns``
    recounts them all)."""
    from yiri.formconfig.schema import get_schema
    from yiri.formconfig.validation import is_empty, is_visible

    schema = get_schema("case")
    return min(sum(1 for code, f in schema.fields.items()
                   if f.required and is_visible(f, answers) and is_empty(answers.get(code))), 32767)


_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class SearchFields:
    """The answers a record is found by: the child's (or inquirer's) own names and phone.

    Listed by hand, not guessed from field codes: a family member's, a caregiver's or a
    service provider's name must not make a search for that name return this child.
    """

    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    rows: dict[str, tuple[str, ...]] = field(default_factory=dict)  # subform -> name fields
    # subform -> (name field, relation field, relations): the parents' names, indexed
    # under their own kind (``blind_index.PARENT``) to rank a search that names a parent;
    # they never find the child by a search for a name.
    parents: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def top_level(self) -> tuple[str, ...]:
        return self.names + self.phones


SEARCH_FIELDS: dict[str, SearchFields] = {
    "case": SearchFields(names=NAME_FIELDS, phones=("phone",), parents={
        "family_details": ("relation_name", "relation", ("mother", "father"))}),
    "tracing_request": SearchFields(
        names=("inquirer_name_first", "inquirer_name_last"), phones=("inquirer_phone",),
        rows={"traces": ("sought_name_first", "sought_name_last", "sought_name_nickname")},
    ),
    "incident": SearchFields(),
}


def search_tokens(schema: FormSchema, answers: dict) -> set[str]:
    """The blind-index tokens of the record's own names and phone (``blind_index``): for
    each name word (``names.key_words``: normalised, also joined at an apostrophe or a
    hyphen, also in Latin letters) the word, its prefixes, its phonetic and sound keys;
    for each phone its last 8 digits (with or without country code); for each word of a
    parent's name a parent token; the number of the record's own name words. No name is
    stored in clear."""
    spec = SEARCH_FIELDS.get(schema.record_type, SearchFields())
    texts = [str(answers[c]) for c in spec.names if answers.get(c)]
    phones = [str(answers[c]) for c in spec.phones if answers.get(c)]
    for subform, codes in spec.rows.items():
        for row in answers.get(subform) or []:
            if not row.get("_deleted"):
                texts.extend(str(row[c]) for c in codes if row.get(c))
    key = blind_index.ring().current
    out: set[str] = set()
    for text in texts:
        for word in names.key_words(text):
            out |= blind_index.word_tokens(word, key)
    own = [str(answers[c]) for c in spec.names if answers.get(c)]
    if own:
        out.add(blind_index.size_token(len(names.significant(names.tokens(" ".join(own)))), key))
    for subform, (name_code, relation_code, relations) in spec.parents.items():
        for row in answers.get(subform) or []:
            if not row.get("_deleted") and row.get(relation_code) in relations:
                for word in names.key_words(str(row.get(name_code) or "")):
                    out |= blind_index.parent_tokens(word, key)
    for phone in phones:
        digits = _DIGITS.sub("", phone)
        if len(digits) >= 6:
            out.add(blind_index.phone_token(digits[-8:], key))
    return out
