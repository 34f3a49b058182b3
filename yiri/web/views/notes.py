"""Notes and flags from the record page (cases, incidents and tracing requests alike).

Each view fetches the record through ``access_record`` (404 for whoever does not see it),
calls one ``cases.notes`` action and answers with the re-rendered part of the page
(htmx) or back on the record page (plain form). A refused input comes back next to its
field: 200 to htmx (it swaps only 2xx answers), 422 with the whole page otherwise.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases.access import access_record
from yiri.cases.models import RECORD_MODELS
from yiri.cases.notes import NoteInvalid, access_flag, add_flag, add_note, notes_for, remove_flag

from ..pages import flags_panel, notes_panel
from .records import _header, _is_htmx, page_context, record_url


def _record(request: HttpRequest, record_type: str, pk):
    return access_record(request.user, RECORD_MODELS[record_type], pk)


def _answer(request, record, part: str, *, message: str = "", refused: bool = False,
            **panel: dict) -> HttpResponse:
    """The notes or flags part (htmx), or the record page: a redirect after a success, the
    whole page with the refused form (422) after a refusal."""
    user = request.user
    if _is_htmx(request):
        built = panel.get(part) or (notes_panel(user, record) if part == "notes"
                                    else flags_panel(user, record))
        return render(request, f"web/_{part}.html", {**_header(user, record), **built})
    if refused:
        return render(request, "web/record.html", page_context(user, record, **panel), status=422)
    messages.success(request, message)
    return redirect(record_url(record) + f"#{part}")


@login_required
@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    """GET: the notes part (``?all=1``: every note). POST: add a note."""
    user = request.user
    record = _record(request, record_type, pk)
    if request.method == "GET":
        notes_for(user, record)  # 403 for a role that may not read notes
        show_all = bool(request.GET.get("all"))
        record_event(AuditAction.VIEW, user=user, request=request, record_type=record_type,
                     record_id=record.pk, part="notes")
        if not _is_htmx(request):
            return redirect(record_url(record) + ("?notes=all" if show_all else "") + "#notes")
        return render(request, "web/_notes.html", {
            **_header(user, record), **notes_panel(user, record, show_all=show_all)})
    values = {"subject": request.POST.get("subject", ""), "body": request.POST.get("body", "")}
    try:
        add_note(user, record, subject=values["subject"], body=values["body"], request=request)
    except NoteInvalid as exc:
        return _answer(request, record, "notes", refused=True,
                       notes=notes_panel(user, record, values=values, errors=exc.errors))
    return _answer(request, record, "notes", message=_("Note ajoutée."))


@login_required
@require_POST
def flag(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    """Raise a flag on the record."""
    user = request.user
    record = _record(request, record_type, pk)
    values = {"reason": request.POST.get("reason", "")}
    try:
        add_flag(user, record, reason=values["reason"], request=request)
    except NoteInvalid as exc:
        return _answer(request, record, "flags", refused=True,
                       flags=flags_panel(user, record, values=values, errors=exc.errors))
    return _answer(request, record, "flags", message=_("Signalement ajouté."))


@login_required
@require_POST
def unflag(request: HttpRequest, record_type: str, pk, flag_id) -> HttpResponse:
    """Lift one flag of the record, with a reason."""
    user = request.user
    record = _record(request, record_type, pk)
    found = access_flag(user, flag_id, on=record)  # a flag of another record: not found here
    reason = request.POST.get("reason", "")
    try:
        remove_flag(user, found, reason=reason, request=request)
    except NoteInvalid as exc:
        return _answer(request, record, "flags", refused=True, flags=flags_panel(
            user, record, removing=found.pk, removal_errors=exc.errors, removal_value=reason))
    return _answer(request, record, "flags", message=_("Signalement levé."))
