"""Exporting records a user may see, with only the fields the user may read.

Streams rows so a large export never holds every record in memory; writes one audit row
(count and filters' names only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import get_schema

from .access import readable_sections
from .identity import read_answers
from .models import RECORD_MODELS

META_COLUMNS = ["short_id", "status", "owning_agency", "updated_at"]


def _cell(value) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return "" if value is None else str(value)


def export_csv(user, record_type: str = "case", *, queryset=None, request=None) -> Iterator[str]:
    """CSV lines of the records ``user`` may see (optionally narrowed by ``queryset``,
    which must itself come from ``visible_to``). Subform rows are not exported."""
    if not user.can("export", record_type):
        raise PermissionDenied(_("Votre rôle ne permet pas d'exporter."))
    model = RECORD_MODELS[record_type]
    schema = get_schema(record_type)
    sections = set(readable_sections(user, schema))
    fields = [f for f in schema.fields.values() if f.section in sections and f.type != FieldType.SUBFORM]
    base = model.objects.visible_to(user)
    qs = (base if queryset is None else base & queryset).select_related("owning_agency").order_by("short_id")
    count = qs.count()
    record_event(AuditAction.EXPORT, user=user, request=request, record_type=record_type,
                 count=count, fields=len(fields))

    def lines() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(META_COLUMNS + [f.code for f in fields])
        for record in qs.iterator(chunk_size=500):
            answers = read_answers(record, schema)
            writer.writerow(
                [record.short_id, record.status, record.owning_agency.code if record.owning_agency else "",
                 record.updated_at.isoformat()] + [_cell(answers.get(f.code)) for f in fields]
            )
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return lines()
