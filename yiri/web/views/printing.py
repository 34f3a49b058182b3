"""The printable case file: every section the reader may read, for a court, a transfer or
the paper file. Built by the same ``pages.record_sections`` as the record page, so it
shows exactly what the page shows that user, and audited as an export (ids and section
codes only)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases.access import access_record
from yiri.cases.models import RECORD_MODELS
from yiri.formconfig.schema import get_schema

from ..pages import record_sections
from .records import _header


@login_required
@require_GET
def print_record(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    user = request.user
    record = access_record(user, RECORD_MODELS[record_type], pk)
    schema = get_schema(record_type)
    _answers, sections = record_sections(user, record, schema)
    record_event(AuditAction.EXPORT, user=user, request=request, record_type=record_type,
                 record_id=record.pk, format="print", sections=[s.code for s in sections])
    return render(request, "web/print.html", {
        **_header(user, record), "sections": sections, "printed_at": timezone.now(),
    })
