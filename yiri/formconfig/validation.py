"""Validate form answers against a form schema, with messages a case worker can act on.

``validate_answers`` returns the cleaned answers or raises ``AnswersInvalid`` whose
``errors`` maps a field code (``"services.2.service_type"`` inside subforms) to messages.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Container
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.lib.ages import age_on
from yiri.network.models import Location

from .models import FieldType
from .schema import FieldDef, FormSchema

TEXT_MAX = 500
TEXTAREA_MAX = 20_000
SUBFORM_MAX_ROWS = 200


class AnswersInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "oui", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "non", "no", "off"}:
        return False
    raise ValueError(_("Répondez par oui ou par non."))


def _clean_value(f: FieldDef, value: Any, schema: FormSchema, path: str, errors: dict,
                 places: Container[str] | None = None) -> Any:
    if is_empty(value) and f.type != FieldType.BOOLEAN:
        return None if f.type != FieldType.MULTISELECT else []
    try:
        if f.type in (FieldType.TEXT, FieldType.TEXTAREA, FieldType.ATTACHMENT):
            if not isinstance(value, str | int | float):
                raise ValueError(_("Saisissez du texte."))
            text = str(value).strip()
            limit = f.max_length or (TEXTAREA_MAX if f.type == FieldType.TEXTAREA else TEXT_MAX)
            if len(text) > limit:
                raise ValueError(_("Texte trop long : %(n)d caractères au plus.") % {"n": limit})
            return text or None
        if f.type == FieldType.NUMBER:
            if isinstance(value, bool):
                raise ValueError(_("Saisissez un nombre."))
            try:
                number = float(str(value).replace(",", ".").strip())
            except ValueError:
                raise ValueError(_("Saisissez un nombre, par exemple 12.")) from None
            if not math.isfinite(number):  # "nan", "inf", "1e400": no database stores them
                raise ValueError(_("Saisissez un nombre, par exemple 12."))
            if f.min_value is not None and number < f.min_value or (
                f.max_value is not None and number > f.max_value
            ):
                raise ValueError(
                    _("Saisissez un nombre entre %(min)s et %(max)s.")
                    % {"min": _fmt(f.min_value, "…"), "max": _fmt(f.max_value, "…")}
                )
            if not f.decimals and not number.is_integer():
                raise ValueError(_("Saisissez un nombre entier, par exemple 12."))
            return int(number) if number.is_integer() else number
        if f.type == FieldType.DATE:
            try:
                day = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise ValueError(_("Saisissez une date valide (AAAA-MM-JJ).")) from None
            if f.no_future and day > timezone.localdate():
                raise ValueError(_("La date ne peut pas être dans le futur."))
            if day.year < 1900:
                raise ValueError(_("La date est trop ancienne."))
            return day.isoformat()
        if f.type == FieldType.BOOLEAN:
            return None if is_empty(value) else _as_bool(value)
        if f.type in (FieldType.SELECT, FieldType.MULTISELECT):
            lookup = schema.lookups.get(f.lookup or "")
            allowed = lookup.values if lookup else {}
            values = value if isinstance(value, list) else [value]
            if f.type == FieldType.SELECT and isinstance(value, list):
                raise ValueError(_("Choisissez une seule valeur."))
            cleaned = []
            for v in values:
                if not isinstance(v, str) or v not in allowed:
                    choices = ", ".join(lookup.label(c) for c in allowed) if lookup else ""
                    raise ValueError(
                        _("« %(value)s » n'est pas un choix possible. Choix : %(choices)s.")
                        % {"value": str(v)[:40], "choices": choices}
                    )
                if v not in cleaned:
                    cleaned.append(v)
            return cleaned if f.type == FieldType.MULTISELECT else cleaned[0]
        if f.type == FieldType.LOCATION:
            code = str(value).strip()
            known = (code in places) if places is not None else (
                Location.objects.filter(code=code, deleted=False).exists())
            if not known:
                raise ValueError(_("Lieu inconnu : choisissez un lieu de la liste."))
            return code
        if f.type == FieldType.SUBFORM:
            return _clean_rows(f, value, schema, path, errors)
    except ValueError as exc:
        errors.setdefault(path, []).append(str(exc))
        return None
    errors.setdefault(path, []).append(_("Type de champ inconnu."))
    return None


def _fmt(value: float | None, default: str) -> str:
    if value is None:
        return default
    return str(int(value)) if float(value).is_integer() else str(value)


def _clean_rows(f: FieldDef, rows: Any, schema: FormSchema, path: str, errors: dict) -> list:
    if not isinstance(rows, list):
        raise ValueError(_("Liste de lignes attendue."))
    if len(rows) > SUBFORM_MAX_ROWS:
        raise ValueError(_("Trop de lignes (%(n)d au plus).") % {"n": SUBFORM_MAX_ROWS})
    row_fields = schema.subform_fields(f)
    cleaned_rows = []
    for index, row in enumerate(rows):
        row_path = f"{path}.{index}"
        if not isinstance(row, dict):
            errors.setdefault(row_path, []).append(_("Ligne mal formée."))
            continue
        is_new = not row.get("_id")
        row_id = row.get("_id") or str(uuid.uuid4())
        try:
            row_id = str(uuid.UUID(str(row_id)))
        except ValueError:
            errors.setdefault(row_path, []).append(_("Identifiant de ligne invalide."))
            continue
        clean = {"_id": row_id}
        if row.get("_deleted"):
            clean["_deleted"] = True
        for key in row:
            if key not in row_fields and key not in ("_id", "_deleted"):
                errors.setdefault(f"{row_path}.{key}", []).append(_("Champ inconnu."))
        for code, sub in row_fields.items():
            if sub.type == FieldType.SUBFORM:
                continue  # one level of nesting only
            value = _clean_value(sub, row.get(code), schema, f"{row_path}.{code}", errors)
            # Rows are merged field by field with the stored row, so only a new row must
            # carry all its required fields; a field sent empty clears the stored value.
            if is_new and not clean.get("_deleted") and sub.required and is_empty(value):
                errors.setdefault(f"{row_path}.{code}", []).append(_("Ce champ est obligatoire."))
            if code in row or not is_empty(value):
                clean[code] = value
        cleaned_rows.append(clean)
    return cleaned_rows


def is_visible(f: FieldDef, answers: dict) -> bool:
    cond = f.visible_if
    if not cond:
        return True
    current = answers.get(cond.get("field"))
    expected = cond.get("equals")
    if isinstance(current, list):
        return expected in current
    return current == expected


# Cross-field rules: (age, date of birth, "the age is estimated", the day the age was
# given) wherever a form has them, on the record or in each row of a subform. An age is the
# age on the day it was recorded (the registration date, else today). The date of birth
# wins: an age that does not match it is refused, an empty age is filled from it.
AGE_RULES = (("age", "date_of_birth", "age_estimated", "registration_date"),
             ("sought_age", "sought_date_of_birth", None, None))


def _check_ages(answers: dict, touched: set[str], errors: dict, prefix: str = "") -> dict:
    """Check the age rules on ``answers`` (a record's or a row's, merged with what is
    stored); returns the answers to fill in. Only rules whose fields the write touches
    are checked, so an old inconsistency does not block an unrelated edit."""
    filled: dict[str, Any] = {}
    today = timezone.localdate()
    for age_code, dob_code, estimated_code, day_code in AGE_RULES:
        if not ({age_code, dob_code, day_code} & touched):
            continue
        raw_dob, age = answers.get(dob_code), answers.get(age_code)
        if not raw_dob or f"{prefix}{dob_code}" in errors or f"{prefix}{age_code}" in errors:
            continue
        try:
            day = dt.date.fromisoformat(str(answers.get(day_code))) if answers.get(day_code) else today
            computed = age_on(dt.date.fromisoformat(str(raw_dob)), min(day, today))
        except ValueError:
            continue
        if is_empty(age):
            filled[age_code] = computed
            continue
        slack = 1 if estimated_code and answers.get(estimated_code) else 0
        if isinstance(age, int | float) and abs(age - computed) > slack:
            errors.setdefault(f"{prefix}{age_code}", []).append(
                _("L'âge (%(age)s ans) ne correspond pas à la date de naissance, qui donne "
                  "%(computed)d ans à la date de l'enregistrement. Corrigez l'âge ou la date "
                  "de naissance.")
                % {"age": _fmt(age, "?"), "computed": computed})
    return filled


def validate_answers(
    schema: FormSchema,
    submitted: dict,
    *,
    current: dict | None = None,
    check_required_sections: set[str] | None = None,
    places: Container[str] | None = None,
) -> dict:
    """Clean ``submitted`` and check it against the schema merged onto ``current``.

    Required fields are checked in the sections the write touches, plus any listed in
    ``check_required_sections``. Returns only the cleaned submitted fields. ``places``,
    the codes of the places not deleted, saves a query per place answer when many records
    are checked at once (an import).
    """
    if not isinstance(submitted, dict):
        raise AnswersInvalid({"__all__": [_("Les réponses doivent être un objet.")]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for code, value in submitted.items():
        f = schema.fields.get(code)
        if f is None:
            errors.setdefault(code, []).append(_("Champ inconnu dans ce formulaire."))
            continue
        cleaned[code] = _clean_value(f, value, schema, code, errors, places)
    merged = {**(current or {}), **cleaned}
    filled = _check_ages(merged, set(cleaned), errors)
    cleaned.update({c: v for c, v in filled.items() if c in schema.fields})
    merged.update(cleaned)
    for code, rows in cleaned.items():
        f = schema.fields.get(code)
        if f is None or f.type != FieldType.SUBFORM or not isinstance(rows, list):
            continue
        stored = {r.get("_id"): r for r in (current or {}).get(code) or []}
        for index, row in enumerate(rows):
            whole_row = {**stored.get(row.get("_id"), {}), **row}
            fill = _check_ages(whole_row, set(row), errors, prefix=f"{code}.{index}.")
            row.update({k: v for k, v in fill.items() if k in schema.subform_fields(f)})
    touched = {schema.fields[c].section for c in cleaned} | (check_required_sections or set())
    for code, f in schema.fields.items():
        if f.section in touched and f.required and is_visible(f, merged) and is_empty(merged.get(code)):
            if code not in errors:
                errors.setdefault(code, []).append(
                    _("Ce champ est obligatoire : %(label)s.") % {"label": f.label}
                )
    if errors:
        raise AnswersInvalid(errors)
    return cleaned
