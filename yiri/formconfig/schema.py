"""The form definition of one record type, read from the database into plain objects.

Schemas are cached per process for a short time and dropped whenever a form, field or
lookup is saved in this process, so validating a write does not cost a query per field.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

from .models import Field, FieldType, FormSection, Lookup, LookupValue

CACHE_SECONDS = 30
_cache: dict[str, tuple[float, FormSchema]] = {}
_lock = threading.Lock()


def _pick(fr: str, en: str) -> str:
    return (en or fr) if (get_language() or "fr").startswith("en") else (fr or en)


@dataclass
class FieldDef:
    code: str
    type: str
    label_fr: str
    label_en: str
    section: str
    required: bool = False
    identifying: bool = False
    matchable: bool = False
    lookup: str | None = None
    subform: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    no_future: bool = False
    decimals: bool = False
    max_length: int | None = None
    visible_if: dict | None = None
    help_fr: str = ""
    help_en: str = ""
    order: int = 0

    @property
    def label(self) -> str:
        return _pick(self.label_fr, self.label_en)

    @property
    def help(self) -> str:
        return _pick(self.help_fr, self.help_en)


@dataclass
class SectionDef:
    code: str
    name_fr: str
    name_en: str
    order: int
    is_subform: bool
    visible: bool
    fields: list[FieldDef] = field(default_factory=list)

    @property
    def name(self) -> str:
        return _pick(self.name_fr, self.name_en)


@dataclass
class LookupDef:
    code: str
    name_fr: str
    name_en: str
    values: dict[str, tuple[str, str]]  # code -> (fr, en), enabled values only

    def label(self, code: str) -> str:
        fr, en = self.values.get(code, (code, code))
        return _pick(fr, en)

    def labels(self) -> list[tuple[str, str]]:
        return [(code, _pick(fr, en)) for code, (fr, en) in self.values.items()]


@dataclass
class FormSchema:
    record_type: str
    sections: dict[str, SectionDef]
    lookups: dict[str, LookupDef]

    def __post_init__(self) -> None:
        self.fields: dict[str, FieldDef] = {}
        self._row_fields: dict[str, dict[str, FieldDef]] = {
            sec.code: {f.code: f for f in sec.fields}
            for sec in self.sections.values()
        }
        for sec in self.sections.values():
            if not sec.is_subform:
                for f in sec.fields:
                    self.fields[f.code] = f

    @property
    def version(self) -> str:
        """A short fingerprint of the form's structure (sections, fields, types), recorded
        with each change so a node can tell which form a change was made with."""
        cached = getattr(self, "_version", None)
        if cached is None:
            import hashlib

            parts = sorted(f"{sec.code}/{f.code}:{f.type}" for sec in self.sections.values()
                           for f in sec.fields)
            # A fingerprint of the form's shape, not a protection: SHA-1 kept so that the
            # versions already written with changes stay the same.
            cached = hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:10]
            self._version = cached
        return cached

    @property
    def main_sections(self) -> list[SectionDef]:
        return [s for s in self.sections.values() if not s.is_subform]

    def subform_fields(self, field_def: FieldDef) -> dict[str, FieldDef]:
        # Called for every subform path of every write: built once per schema.
        return self._row_fields.get(field_def.subform or "", {})

    @property
    def identifying_codes(self) -> set[str]:
        return {code for code, f in self.fields.items() if f.identifying}


def _build(record_type: str) -> FormSchema:
    lookups: dict[str, LookupDef] = {}
    for lk in Lookup.objects.filter(deleted=False):
        lookups[lk.code] = LookupDef(lk.code, lk.name_fr, lk.name_en, {})
    for val in (
        LookupValue.objects.filter(deleted=False, disabled=False)
        .select_related("lookup")
        .order_by("lookup_id", "order", "code")
    ):
        if val.lookup.code in lookups:
            lookups[val.lookup.code].values[val.code] = (val.label_fr, val.label_en)
    sections: dict[str, SectionDef] = {}
    for sec in FormSection.objects.filter(record_type=record_type, deleted=False).order_by(
        "order", "code"
    ):
        sections[sec.code] = SectionDef(
            sec.code, sec.name_fr, sec.name_en, sec.order, sec.is_subform, sec.visible
        )
    fields = (
        Field.objects.filter(section__record_type=record_type, deleted=False, section__deleted=False)
        .select_related("section", "lookup", "subform")
        .order_by("section__order", "order", "code")
    )
    for f in fields:
        sections[f.section.code].fields.append(
            FieldDef(
                code=f.code, type=f.type, label_fr=f.label_fr, label_en=f.label_en,
                section=f.section.code, required=f.required, identifying=f.identifying,
                matchable=f.matchable, lookup=f.lookup.code if f.lookup else None,
                subform=f.subform.code if f.subform else None, min_value=f.min_value,
                max_value=f.max_value, no_future=f.no_future, decimals=f.decimals, max_length=f.max_length,
                visible_if=f.visible_if, help_fr=f.help_fr, help_en=f.help_en, order=f.order,
            )
        )
    return FormSchema(record_type, sections, lookups)


def get_schema(record_type: str) -> FormSchema:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(record_type)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    schema = _build(record_type)
    with _lock:
        _cache[record_type] = (now, schema)
    return schema


def clear_cache(**_kwargs) -> None:
    with _lock:
        _cache.clear()


for _model in (Field, FormSection, Lookup, LookupValue):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"schema-save-{_model.__name__}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"schema-del-{_model.__name__}")

__all__ = ["FieldDef", "FieldType", "FormSchema", "LookupDef", "SectionDef", "get_schema"]
