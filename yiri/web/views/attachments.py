"""Photos and documents of a record, from the record page.

Every view fetches the record through ``access_record`` (404 for whoever does not see it)
and lets ``attachments.services`` decide the rest: 404 for a role that may not read the
field's section, 403 for one that reads but may not write it. Files are answered with
headers that keep them out of caches and stop browsers guessing their type; documents are
always downloaded, never opened inside the page. No file name is ever in a URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiri.attachments import services
from yiri.attachments.http import file_response
from yiri.cases.access import access_record
from yiri.cases.models import RECORD_MODELS
from yiri.formconfig.schema import get_schema

from .records import page_context, record_url


def _record(request: HttpRequest, record_type: str, pk):
    return access_record(request.user, RECORD_MODELS[record_type], pk)


def _section_anchor(record, field_code: str) -> str:
    f = get_schema(record.RECORD_TYPE).fields.get(field_code)
    return f"#att-{field_code}" if f is not None else ""


@login_required
@require_POST
def upload(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    """Attach the posted ``file`` to the field named by ``field``."""
    user = request.user
    record = _record(request, record_type, pk)
    code = request.POST.get("field", "")
    try:
        services.add_attachment(user, record, code, request.FILES.get("file"), request=request,
                                skipped_size=getattr(request, "upload_too_big", 0))
    except services.AttachmentInvalid as exc:
        messages_ = [m for ms in exc.errors.values() for m in ms]
        return render(request, "web/record.html",
                      page_context(user, record, attachment_errors={code: messages_}), status=422)
    messages.success(request, _("Fichier ajouté."))
    return redirect(record_url(record) + _section_anchor(record, code))


@login_required
@require_POST
def remove(request: HttpRequest, record_type: str, pk, attachment_id) -> HttpResponse:
    user = request.user
    record = _record(request, record_type, pk)
    att = services.remove_attachment(user, record, attachment_id, request=request)
    messages.success(request, _("Fichier retiré."))
    return redirect(record_url(record) + _section_anchor(record, att.field_code))


@login_required
@require_GET
def download(request: HttpRequest, record_type: str, pk, attachment_id) -> HttpResponse:
    record = _record(request, record_type, pk)
    att, data = services.read_content(request.user, record, attachment_id, request=request)
    return file_response(record, att, data)


@login_required
@require_GET
def thumbnail(request: HttpRequest, record_type: str, pk, attachment_id) -> HttpResponse:
    record = _record(request, record_type, pk)
    att, data = services.read_content(request.user, record, attachment_id, thumbnail=True,
                                      request=request)
    return file_response(record, att, data, thumbnail=True)
