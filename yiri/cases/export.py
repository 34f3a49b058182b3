"""Exporting records a user may see, with only the fields the user may read.

Streams rows so a large export never holds every record in memory; writes one audit row
(count and filters' names only).

The file is made for a spreadsheet on a French-language office PC: UTF-8 with a
byte-order mark (without it Excel reads "Ã©" for "é"), ``;`` between cells (French Excel
uses ``;`` as its list separator because ``,`` is the decimal comma, so a comma-separated
file opens there as one column; LibreOffice asks, with ``;`` offered), cells quoted only
when needed, CRLF line ends. Headers are the form's labels, values the lookup labels,
dates ``JJ/MM/AAAA``, decimals with a comma, times in local time (``TIME_ZONE``). A cell a
spreadsheet would evaluate as a formula is written behind a quote (``lib/spreadsheet.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FieldDef, FormSchema, get_schema
from yiri.lib import spreadsheet
from yiri.network.models import Location

from .access import field_limits, readable_sections, scope_q
from .identity import read_answers
from .models import RECORD_MODELS

BOM = "\ufeff"
DELIMITER = ";"
LIST_JOINER = ", "


class ExcelFrench(csv.excel):
    delimiter = DELIMITER


def _meta_columns(model) -> list[tuple[str, Any]]:
    """(header, value of a record) for the columns every export starts with."""
    columns = [
        (_("Numéro"), lambda r: r.short_id),
        (_("Statut"), lambda r: r.get_status_display()),
    ]
    if hasattr(model, "workflow_stage"):
        columns.append((_("Étape"), lambda r: r.get_workflow_stage_display()))
    columns += [
        (_("Organisation"), lambda r: r.owning_agency.code if r.owning_agency else ""),
        (_("Mis à jour (heure locale)"), lambda r: _local_time(r.updated_at)),
    ]
    return columns


def _local_time(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _headers(fields: list[FieldDef], schema: FormSchema) -> list[str]:
    """The fields' labels; a label used twice gets its section's name to tell them apart."""
    seen: dict[str, int] = {}
    for f in fields:
        seen[f.label] = seen.get(f.label, 0) + 1
    return [f"{f.label} ({schema.sections[f.section].name})" if seen[f.label] > 1 else f.label
            for f in fields]


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # No thousands separator: a spreadsheet would then read the cell as text.
    return str(value).replace(".", ",")


def _cell(schema: FormSchema, f: FieldDef, value: Any, places: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return ""
    lookup = schema.lookups.get(f.lookup or "")
    if isinstance(value, list):
        return LIST_JOINER.join(lookup.label(str(v)) if lookup else str(v) for v in value)
    if isinstance(value, bool) or f.type == FieldType.BOOLEAN:
        return _("oui") if value else _("non")
    if lookup is not None:
        return lookup.label(str(value))
    if f.type == FieldType.DATE:
        try:
            return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if f.type == FieldType.LOCATION:
        return places.get(str(value), str(value))
    if isinstance(value, int | float):
        return _number(value)
    return str(value)


class Plan:
    """What an export of ``user`` holds: its headers, its records (``count``) and how to
    turn each into a row of cell texts. The records are those of ``user``'s own scope
    (optionally narrowed by ``queryset``, itself from ``visible_to``), the columns the
    sections and fields ``user``'s role may read. Refused without the export right."""

    def __init__(self, user, record_type: str = "case", *, queryset=None):
        if not user.can("export", record_type):
            raise PermissionDenied(_("Votre rôle ne permet pas d'exporter."))
        self.record_type = record_type
        model = RECORD_MODELS[record_type]
        self.schema = schema = get_schema(record_type)
        sections = set(readable_sections(user, schema))
        limits = field_limits(user, record_type)
        self.fields = [f for f in schema.fields.values() if f.section in sections
                       and f.type != FieldType.SUBFORM and limits.shows(f.code)]
        self.meta = _meta_columns(model)
        # What the user's role reaches by itself: a referral or a pending transfer lets its
        # recipient read some sections on screen, not export the case.
        base = model.objects.filter(scope_q(user, model, shares=False))
        self.queryset = ((base if queryset is None else base & queryset)
                         .select_related("owning_agency").order_by("short_id"))
        self.count = self.queryset.count()
        # Place names for location answers, read once per export (about a thousand places).
        self.places = (dict(Location.objects.values_list("code", "name"))
                       if any(f.type == FieldType.LOCATION for f in self.fields) else {})

    def headers(self) -> list[str]:
        return [header for header, _value in self.meta] + _headers(self.fields, self.schema)

    def rows(self) -> Iterator[list[str]]:
        for record in self.queryset.iterator(chunk_size=500):
            answers = read_answers(record, self.schema)
            yield ([value(record) for _header, value in self.meta]
                   + [_cell(self.schema, f, answers.get(f.code), self.places) for f in self.fields])


def csv_chunks(plan: Plan, rows: Iterator[list[str]] | None = None) -> Iterator[str]:
    """The CSV text of ``plan`` in chunks (of ``rows`` when given: the plan's, counted)."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = spreadsheet.writer(buf, dialect=ExcelFrench)  # no cell read as a formula
    writer.writerow(plan.headers())
    for row in plan.rows() if rows is None else rows:
        writer.writerow(row)
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def export_csv(user, record_type: str = "case", *, queryset=None, request=None) -> Iterator[str]:
    """CSV text of the records ``user`` may see (optionally narrowed by ``queryset``,
    which must itself come from ``visible_to``), in chunks. Subform rows are not exported."""
    plan = Plan(user, record_type, queryset=queryset)
    record_event(AuditAction.EXPORT, user=user, request=request, record_type=record_type,
                 count=plan.count, fields=len(plan.fields))
    return csv_chunks(plan)
