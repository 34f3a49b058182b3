"""Between HTML forms and form answers: widgets built from the form schema, posted
values parsed back into answers, and answers formatted for reading.

The browser posts one input per field, named by the field code (a multiselect posts one
value per ticked box; a yes/no posts "true", "false" or ""). A subform row is posted on
its own, as the fields of that row plus its ``_id``. Validation stays in
``formconfig.validation``: this module only turns strings into the shapes it expects
and maps its error keys back onto the inputs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from yiri.cases.access import NO_LIMITS, FieldLimits
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FieldDef, FormSchema, SectionDef
from yiri.formconfig.validation import is_visible
from yiri.network.models import Location


@dataclass
class Widget:
    """What a template needs to draw one input (or one value in read mode)."""

    f: FieldDef
    value: Any
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    display: str = ""
    visible: bool = True
    prefix: str = ""
    locked: bool = False  # read-only for this user's role (``FieldLimits``): shown, not posted

    @property
    def code(self) -> str:
        return self.f.code

    @property
    def type(self) -> str:
        return self.f.type

    @property
    def name(self) -> str:
        return self.f.code

    @property
    def id(self) -> str:
        return f"f-{self.prefix}{self.f.code}"

    @property
    def label(self) -> str:
        return self.f.label

    @property
    def text_value(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)

    @property
    def visible_if_field(self) -> str:
        return (self.f.visible_if or {}).get("field", "")

    @property
    def visible_if_value(self) -> str:
        expected = (self.f.visible_if or {}).get("equals")
        if expected is True:
            return "true"
        if expected is False:
            return "false"
        return "" if expected is None else str(expected)


def _lookup_choices(schema: FormSchema, f: FieldDef, value: Any) -> list[tuple[str, str, bool]]:
    lookup = schema.lookups.get(f.lookup or "")
    if lookup is None:
        return []
    chosen = set(value if isinstance(value, list) else [value])
    return [(code, label, code in chosen) for code, label in lookup.labels()]


def location_names(codes: set[str]) -> dict[str, str]:
    """``{code: "Name (Parent)"}`` for the codes shown on one page, in one query."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    rows = Location.objects.filter(code__in=codes).select_related("parent")
    return {loc.code: _location_label(loc) for loc in rows}


def _location_label(loc: Location) -> str:
    return f"{loc.name} ({loc.parent.name})" if loc.parent_id else loc.name


def format_value(schema: FormSchema, f: FieldDef, value: Any, places: dict[str, str]) -> str:
    """A value as a case worker reads it: labels, not codes; local date format."""
    if value is None or value == "" or value == []:
        return ""
    lookup = schema.lookups.get(f.lookup or "")
    if f.type == FieldType.BOOLEAN:
        return _("Oui") if value else _("Non")
    if f.type == FieldType.SELECT:
        return lookup.label(value) if lookup else str(value)
    if f.type == FieldType.MULTISELECT:
        values = value if isinstance(value, list) else [value]
        return ", ".join(lookup.label(v) if lookup else str(v) for v in values)
    if f.type == FieldType.DATE:
        try:
            return date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        except ValueError:
            return str(value)
    if f.type == FieldType.LOCATION:
        return places.get(str(value), str(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Decimal comma ("12,5"); no grouping: an answer may be a year or a number to copy.
        return number_format(value, use_l10n=True)
    return str(value)


def location_codes(schema: FormSchema, answers: dict) -> set[str]:
    codes: set[str] = set()
    for code, f in schema.fields.items():
        if f.type == FieldType.LOCATION and answers.get(code):
            codes.add(str(answers[code]))
        elif f.type == FieldType.SUBFORM:
            for sub in schema.subform_fields(f).values():
                if sub.type == FieldType.LOCATION:
                    codes.update(str(r[sub.code]) for r in answers.get(code) or [] if r.get(sub.code))
    return codes


def widgets(
    schema: FormSchema, defs: list[FieldDef], values: dict, *, errors: dict | None = None,
    error_prefix: str = "", places: dict[str, str] | None = None, id_prefix: str = "",
    limits: FieldLimits = NO_LIMITS, subform: str | None = None,
) -> list[Widget]:
    """One widget per non-subform field of ``defs``; errors keyed ``error_prefix + code``.
    Fields ``limits`` hides are left out; those it makes read-only are shown, locked."""
    errors = errors or {}
    places = places or {}
    out = []
    for f in defs:
        if f.type in (FieldType.SUBFORM, FieldType.ATTACHMENT):
            continue  # rows are drawn one by one; files come from the attachments app
        if not limits.shows(f.code, subform):
            continue
        value = values.get(f.code)
        w = Widget(
            f=f, value=value, errors=list(errors.get(error_prefix + f.code, [])),
            choices=_lookup_choices(schema, f, value) if f.lookup else [],
            display=format_value(schema, f, value, places), visible=is_visible(f, values),
            prefix=id_prefix, locked=not limits.writes(f.code, subform),
        )
        out.append(w)
    return out


def _parse_one(f: FieldDef, data: QueryDict) -> Any:
    if f.type == FieldType.MULTISELECT:
        return [v for v in data.getlist(f.code) if v]
    raw = (data.get(f.code) or "").strip()
    if f.type == FieldType.BOOLEAN:
        return {"true": True, "false": False}.get(raw)
    if f.type == FieldType.LOCATION and raw:
        return resolve_location(raw)
    return raw or None


def parse_field(f: FieldDef, data: QueryDict) -> Any:
    """One field's answer as posted under its code (a value typed to settle a conflict)."""
    return _parse_one(f, data)


def resolve_location(raw: str) -> str:
    """Accept a location code, or a name that names exactly one place (typed without JS)."""
    if Location.objects.filter(code=raw).exists():
        return raw
    label = raw.split(" (", 1)[0].strip()
    matches = list(Location.objects.filter(name__iexact=label).values_list("code", flat=True)[:2])
    return matches[0] if len(matches) == 1 else raw


def parse_section(section: SectionDef, data: QueryDict,
                  limits: FieldLimits = NO_LIMITS) -> dict[str, Any]:
    """The answers of one section's plain fields, as posted (subforms are posted by row,
    files through the attachments views); fields the user may not write are not read
    from the form, so they keep their stored value."""
    return {f.code: _parse_one(f, data) for f in section.fields
            if f.type not in (FieldType.SUBFORM, FieldType.ATTACHMENT) and limits.writes(f.code)}


def parse_row(schema: FormSchema, subform: FieldDef, data: QueryDict,
              limits: FieldLimits = NO_LIMITS) -> dict[str, Any]:
    """``{subform_code: [row]}`` for one posted row; a row without ``_id`` is new."""
    row: dict[str, Any] = {}
    for code, f in schema.subform_fields(subform).items():
        if f.type != FieldType.SUBFORM and limits.writes(code, subform.code):
            row[code] = _parse_one(f, data)
    row_id = (data.get("_id") or "").strip()
    if row_id:
        row["_id"] = row_id
    else:
        row = {k: v for k, v in row.items() if v not in (None, [], "")}
    if data.get("_deleted") == "true":
        row = {"_id": row_id, "_deleted": True}
    return {subform.code: [row]}


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def row_errors(errors: dict, subform_code: str) -> dict[str, list[str]]:
    """Errors of the single posted row, keyed by the row's field codes."""
    prefix = f"{subform_code}.0."
    out = {k[len(prefix):]: v for k, v in errors.items() if k.startswith(prefix)}
    for k, v in errors.items():
        if k in (subform_code, f"{subform_code}.0"):
            out.setdefault("__all__", []).extend(v)
    return out


def other_errors(errors: dict, shown: set[str]) -> list[str]:
    """Messages whose key is not a field on the form (shown at the top, never lost)."""
    return [m for k, msgs in errors.items() if k not in shown for m in msgs]
