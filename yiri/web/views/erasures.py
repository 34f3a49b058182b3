"""Erasure pages (``cases/erasure.py``), for the roles with ``erase_records``:

- on a record's page, a panel "Effacement des données identifiantes": the form to ask for
  the erasure (a reason from a list), or the request waiting, with "Approuver" and
  "Refuser" for another person with the right ("Retirer ma demande" for the requester);
- ``/erasures/``: the requests waiting on records in the user's own scope, to approve or
  refuse, and the erasures done.

Approving erases at once and cannot be undone: asking and approving need a recent
confirmation of identity (``yiri.accounts.reauth.require_recent_auth``: password and
second factor within ``YIRI_REAUTH_MINUTES``); a refused POST comes back to the page
through its Referer once confirmed (the forms' own return field is ``back``, not ``next``,
which the decorator reads as an address).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiri.accounts.reauth import require_recent_auth
from yiri.cases import erasure as erasures
from yiri.cases.access import access_record
from yiri.cases.erasure import ErasureRefused
from yiri.cases.models import RECORD_MODELS, Erasure, ErasureReason, ErasureStatus

from ..answers import is_uuid
from ..templatetags.yiri_web import record_url


def panel(user, record) -> dict:
    """What the record page shows of erasure (nothing without the right)."""
    if not erasures.may_erase(user, record):
        return {}
    waiting = erasures.pending(record)
    return {"erasure_panel": True, "erasure_pending": waiting,
            "erasure_mine": bool(waiting and waiting.requested_by_id == user.pk),
            "erasure_reasons": ErasureReason.choices}


def _record(user, model, pk):
    record = access_record(user, model, pk)
    if not erasures.may_erase(user, record):
        raise PermissionDenied(_("Votre rôle ne permet pas d'effacer ce dossier."))
    return record


def _erasure(user, erasure_id) -> tuple[Erasure, object]:
    """The request ``erasure_id`` and its record, if ``user`` may act on it (404 otherwise:
    its existence says nothing to who cannot reach the record)."""
    if not erasures.has_right(user):
        raise PermissionDenied(_("Votre rôle ne permet pas d'effacer des dossiers."))
    found = Erasure.objects.filter(pk=erasure_id, deleted=False).first() if is_uuid(
        str(erasure_id)) else None
    model = RECORD_MODELS.get(found.record_type) if found else None
    if found is None or model is None:
        raise Http404(_("Demande d'effacement introuvable."))
    try:
        record = _record(user, model, found.record_id)
    except (Http404, PermissionDenied):
        raise Http404(_("Demande d'effacement introuvable.")) from None
    return found, record


def _with_the_right(view):
    """Refuse a role without ``erase_records`` before asking anyone to confirm their
    identity (the confirmation would otherwise only delay the refusal)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not erasures.has_right(request.user):
            raise PermissionDenied(_("Votre rôle ne permet pas d'effacer des dossiers."))
        return view(request, *args, **kwargs)

    return wrapped


def _back(request, record) -> HttpResponse:
    if request.POST.get("back") == "list":
        return redirect("erasures")
    return redirect(record_url(record) + "#erasure")


@login_required
@require_POST
@_with_the_right
@require_recent_auth
def ask(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    user = request.user
    record = _record(user, RECORD_MODELS[record_type], pk)
    try:
        erasures.request_erasure(user, record, request.POST.get("reason", ""), request=request)
    except ErasureRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Effacement demandé : une autre personne habilitée doit "
                                    "maintenant l'approuver."))
    return _back(request, record)


@login_required
@require_POST
@_with_the_right
@require_recent_auth
def approve(request: HttpRequest, erasure_id) -> HttpResponse:
    user = request.user
    erasure, record = _erasure(user, erasure_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Cochez la case qui confirme que l'effacement est définitif."))
        return _back(request, record)
    try:
        erasures.approve_erasure(user, erasure, request=request)
    except ErasureRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Dossier effacé : ses données identifiantes sont "
                                    "supprimées de ce nœud et le seront des autres à la "
                                    "prochaine synchronisation."))
    return _back(request, record)


@login_required
@require_POST
def refuse(request: HttpRequest, erasure_id) -> HttpResponse:
    user = request.user
    erasure, record = _erasure(user, erasure_id)
    try:
        erasures.refuse_erasure(user, erasure, request=request)
    except ErasureRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Demande d'effacement retirée.") if erasure.requested_by_id == user.pk
                         else _("Demande d'effacement refusée."))
    return _back(request, record)


@login_required
@require_GET
def erasure_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not erasures.has_right(user):
        raise PermissionDenied(_("Votre rôle ne permet pas d'effacer des dossiers."))
    rows = {ErasureStatus.REQUESTED: [], ErasureStatus.EXECUTED: []}
    for status in rows:
        for e in (Erasure.objects.filter(status=status, deleted=False)
                  .select_related("requested_by", "decided_by").order_by("-requested_at")[:500]):
            model = RECORD_MODELS.get(e.record_type)
            record = (model.objects.visible_to(user).filter(pk=e.record_id).first()
                      if model else None)
            if record is None or not erasures.may_erase(user, record):
                continue
            rows[status].append({"erasure": e, "record": record,
                                 "mine": e.requested_by_id == user.pk})
    return render(request, "web/erasures.html", {
        "waiting": rows[ErasureStatus.REQUESTED][:200],
        "done": rows[ErasureStatus.EXECUTED][:50]})
