"""Synchronisation pages: the conflicts to settle and the status of the exchanges.

- ``/sync/conflicts/`` (``?record=<id>``: one record's): the unresolved conflicts the user
  may see (``sync.conflicts.visible_conflicts``), both values side by side as the record
  page shows them, who wrote each, where and when, and for those who may decide a form:
  keep A, keep B or write a new value. The form carries the field's stamp: a decision
  taken on a page that is out of date is refused with a message, never a 500.
- ``/sync/status/``: for the roles with ``view_sync`` (relay-cell data managers, the
  national coordination, administrators): peers, what waits each way, conflicts,
  quarantined operations, and "Synchroniser maintenant" with its progress (htmx polls a
  small fragment; without JavaScript the page is reloaded). For nodes that meet by file
  (``sync.bundle``): "Télécharger un paquet" for each peer, a form to import a bundle
  (what it did or why it was refused, then its acknowledgement to download), and how
  each peer was last heard of (HTTP or bundle).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.backup import status as backup_status
from yiri.cases.models import RECORD_MODELS, Case, CaseStatus, WorkflowStage
from yiri.formconfig.models import FieldType
from yiri.network.models import Agency
from yiri.network.services import node_code
from yiri.sync import bundle, runs, scope
from yiri.sync.conflicts import (
    ConflictView,
    ResolutionRefused,
    conflict_for,
    count_visible_conflicts,
    node_names,
    resolve,
    visible_conflicts,
)
from yiri.sync.models import Peer, Quarantine
from yiri.workflow import services as workflow

from ..answers import format_value, is_uuid, location_names, parse_field, widgets
from ..pages import SLUG_OF

CONFLICTS_SHOWN = 100


def may_see_conflicts(user) -> bool:
    """The conflicts list is for the roles that see records or decide conflicts; what it
    shows is then limited to what the user may read."""
    return (user.can("resolve_conflicts", "system")
            or any(user.can("view", rt) for rt in RECORD_MODELS))


def may_see_status(user) -> bool:
    return user.can("view_sync", "system")


# ---------------------------------------------------------------- conflicts


@login_required
@require_GET
def conflicts(request: HttpRequest) -> HttpResponse:
    return _conflicts_page(request)


def _conflicts_page(request, *, failed: dict | None = None, status: int = 200) -> HttpResponse:
    """``failed``: the refused resolution to show beside its form (conflict id, message,
    errors about the typed value, what was posted)."""
    user = request.user
    if not may_see_conflicts(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès aux conflits de synchronisation."))
    record = _record_param(user, request.GET.get("record") or request.POST.get("record"))
    views = visible_conflicts(user, record=record, limit=CONFLICTS_SHOWN)
    total = (count_visible_conflicts(user, record=record) if len(views) == CONFLICTS_SHOWN
             else len(views))
    items = [_item(v, failed) for v in views]
    # A refused decision is told beside its form; if that conflict is no longer listed
    # (resolved meanwhile), at the top.
    top_error = failed["message"] if failed and not any(v.id == failed["id"] for v in views) else ""
    return render(request, "web/conflicts.html", {
        "items": items, "total": total, "more": total > len(items), "record": record,
        "can_resolve_some": any(v.can_resolve for v in views), "top_error": top_error,
    }, status=status)


def _record_param(user, value):
    """The record whose conflicts are asked for (404 if the user may not see it)."""
    if not value:
        return None
    if not is_uuid(value):
        raise Http404
    for model in RECORD_MODELS.values():
        found = model.objects.visible_to(user).filter(pk=value).first()
        if found is not None:
            return found
    raise Http404(_("Dossier introuvable."))


def _item(v: ConflictView, failed: dict | None) -> dict:
    places = _places(v)
    failed_here = failed if failed and failed["id"] == v.id else None
    new_widget = None
    if v.can_resolve and v.can_type and v.field is not None:
        posted = failed_here["value"] if failed_here and failed_here["keep"] == "new" else v.kept.value
        errors = {v.field.code: failed_here["errors"]} if failed_here and failed_here["errors"] else None
        new_widget = widgets(v.schema, [v.field], {v.field.code: posted}, errors=errors,
                             places=places, id_prefix=f"c{v.id.hex[:8]}-")[0]
    return {
        "v": v, "record_url": _record_url(v.record) if v.record is not None else "",
        "kept": _side(v, v.kept, places), "other": _side(v, v.other, places),
        "stamp": "" if v.stamp is None else str(v.stamp), "new_widget": new_widget,
        "error": failed_here["message"] if failed_here else "",
        "value_errors": failed_here["errors"] if failed_here else [],
        "keep": failed_here["keep"] if failed_here else "",
    }


def _record_url(record) -> str:
    return reverse(f"{SLUG_OF[record.RECORD_TYPE]}_record", args=[record.pk])


def _places(v: ConflictView) -> dict[str, str]:
    if v.kind != "answer" or v.field is None or v.field.type != FieldType.LOCATION:
        return {}
    return location_names({str(x) for x in (v.kept.value, v.other.value) if x})


def _side(v: ConflictView, side, places) -> dict:
    return {"display": display_value(v, side.value, places) or _("(vide)"),
            "author": side.author or _("inconnu"), "node": side.node, "at": side.at,
            "here": side.origin and side.node == _("ce nœud")}


def display_value(v: ConflictView, value, places: dict[str, str]) -> str:
    """A value as the record page shows it (labels, local dates, names)."""
    if v.kind == "answer":
        if v.field is None:  # a whole row
            return _("ligne supprimée") if value else _("ligne gardée")
        return format_value(v.schema, v.field, value, places)
    if v.kind == "meta":
        return _meta_display(v.path, value)
    return _column_display(v, value)


def _meta_display(path: str, value) -> str:
    if value in (None, ""):
        return ""
    if path in ("@owner", "@created_by"):
        u = get_user_model()._base_manager.filter(pk=value).first()
        return str(u) if u else _("personne inconnue sur ce nœud")
    if path == "@owning_agency":
        a = Agency.objects.filter(pk=value).first()
        return a.name if a else _("organisation inconnue sur ce nœud")
    if path == "@status":
        return dict(CaseStatus.choices).get(value, str(value))
    if path == "@workflow_stage":
        return dict(WorkflowStage.choices).get(value, str(value))
    if path == "@case":
        case = Case._base_manager.filter(pk=value).first()
        return case.short_id if case else _("dossier inconnu sur ce nœud")
    if path == "@deleted":
        return _("Oui") if value else _("Non")
    if path == "@deleted_at":
        return _datetime(value)
    return str(value)


def _column_display(v: ConflictView, value) -> str:
    column = v.field
    model = type(v.obj)
    if column.name in getattr(model, "SYNC_SEALED", ()) or column.name == "password":
        return _("(valeur protégée, non affichée)")
    if value in (None, "", []):
        return ""
    if column.many_to_many:
        rows = column.related_model._base_manager.filter(pk__in=value)
        return ", ".join(sorted(str(r) for r in rows))
    if column.is_relation:
        row = column.related_model._base_manager.filter(pk=value).first()
        return str(row) if row else _("inconnu sur ce nœud")
    if column.choices:
        return str(dict(column.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if column.get_internal_type() in ("DateTimeField", "DateField"):
        return _datetime(value)
    return str(value)


def _datetime(value) -> str:
    try:
        return date_format(dt.datetime.fromisoformat(str(value)), "SHORT_DATETIME_FORMAT")
    except ValueError:
        return str(value)


@login_required
@require_POST
def resolve_conflict(request: HttpRequest, conflict_id) -> HttpResponse:
    user = request.user
    if not may_see_conflicts(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès aux conflits de synchronisation."))
    keep = request.POST.get("keep") or ""
    value = None
    view = conflict_for(user, conflict_id, resolved=True)
    if keep == "new" and view.field is not None and view.kind == "answer":
        value = parse_field(view.field, request.POST)
    try:
        resolve(user, view.conflict, keep=keep, value=value, request=request,
                seen_stamp=request.POST.get("stamp", ""))
    except ResolutionRefused as exc:
        return _conflicts_page(request, status=422, failed={
            "id": view.id, "message": exc.message, "errors": exc.errors, "keep": keep,
            "value": value})
    record = view.record
    if isinstance(record, Case) and view.kind == "answer" and keep != "winner":
        # As after a section save: the case moves to the stage its answers now reach.
        workflow.refresh_stage(user, Case.objects.get(pk=record.pk), request=request)
    if record is not None:
        messages.success(request, _("Conflit résolu : « %(field)s » du dossier %(id)s. Les autres "
                                    "nœuds le recevront à la prochaine synchronisation.")
                         % {"field": view.label, "id": record.short_id})
    else:
        messages.success(request, _("Conflit résolu : « %(field)s ».") % {"field": view.label})
    back = reverse("sync_conflicts")
    wanted = request.POST.get("record") or ""
    if wanted and is_uuid(wanted):
        back += f"?record={wanted}"
    return redirect(back)


# ------------------------------------------------------------------- status


@login_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    return _status_page(request)


def _status_page(request: HttpRequest, *, extra: dict | None = None, status: int = 200) -> HttpResponse:
    """``extra``: what a bundle export or import just did (its message or refusal)."""
    user = request.user
    if not may_see_status(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès à l'état de la synchronisation."))
    peers = list(Peer.objects.all())
    quarantined = list(Quarantine.objects.order_by("-received_at")[:100])
    names = node_names({p.node_id for p in peers} | {q.origin_node for q in quarantined}
                       | {q.received_from for q in quarantined})
    rows = [{
        "peer": p, "name": p.name or names.get(p.node_id) or p.node_id,
        "to_send": scope.pending_count(p, p.sent_upto),
    } for p in peers]
    return render(request, "web/sync_status.html", {
        "peers": rows, "parent": scope.parent_peer(),
        "conflict_count": count_visible_conflicts(user),
        "quarantined": [(q, names.get(q.origin_node, q.origin_node),
                         names.get(q.received_from, q.received_from)) for q in quarantined],
        "quarantine_total": Quarantine.objects.count(),
        "backups": backup_status.rows(peers, names),
        **_run_context(), **(extra or {}),
    }, status=status)


def _run_context() -> dict:
    run = runs.latest()
    running = runs.is_running(run)
    total = done = 0
    if run is not None:
        total = max(run.to_send, run.sent) + max(run.to_receive, run.received)
        done = run.sent + run.received
    return {"run": run, "running": running, "run_total": total, "run_done": done,
            "run_stale": run is not None and run.finished_at is None and not running}


@login_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_see_status(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès à l'état de la synchronisation."))
    try:
        runs.start(user)
    except runs.RunRefused as exc:
        messages.error(request, str(exc))
    else:
        record_event(AuditAction.SYNC_RUN, user=user, request=request)
    return redirect(reverse("sync_status") + "#progress")


@login_required
@require_GET
def sync_progress(request: HttpRequest) -> HttpResponse:
    if not may_see_status(request.user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès à l'état de la synchronisation."))
    return render(request, "web/_sync_progress.html", _run_context())



# ------------------------------------------------------------------ bundles


def _may_carry(request: HttpRequest) -> None:
    if not may_see_status(request.user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès à l'état de la synchronisation."))


def _bundle_dir() -> Path:
    """Where bundles are written and uploaded for a moment (the data folder, owner-only)."""
    folder = Path(settings.DATA_DIR) / "bundles"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _download(path: Path, name: str) -> FileResponse:
    fh = open(path, "rb")  # noqa: SIM115 (the response closes it)
    path.unlink()  # the open file stays readable; nothing is left in the data folder
    return FileResponse(fh, as_attachment=True, filename=name, content_type="application/octet-stream")


def _file_name(written: bundle.Written) -> str:
    kind = "accuse" if written.kind == bundle.ACK else "paquet"
    to = slugify(written.peer.name or written.peer.code or written.peer.node_id[:8]) or "noeud"
    return f"yiri-{kind}-{slugify(node_code()) or 'noeud'}-pour-{to}-{written.number}{bundle.SUFFIX}"


def _peer_or_404(node_id: str) -> Peer:
    peer = Peer.objects.filter(node_id=node_id).first()
    if peer is None:
        raise Http404(_("Nœud pair inconnu."))
    return peer


@login_required
@require_POST
def bundle_export(request: HttpRequest, node_id: str) -> HttpResponse:
    """A bundle of what the peer has not acknowledged, downloaded at once."""
    _may_carry(request)
    peer = _peer_or_404(node_id)
    out = _bundle_dir() / f"export-{uuid.uuid4().hex}{bundle.SUFFIX}"
    try:
        written = bundle.export(peer, out)
    except bundle.BundleRefused as exc:
        return _status_page(request, extra={"bundle_error": str(exc)}, status=422)
    record_event(AuditAction.SYNC_RUN, user=request.user, request=request, bundle="export",
                 peer=peer.node_id, number=written.number, operations=written.operations)
    return _download(out, _file_name(written))


@login_required
@require_POST
def bundle_ack(request: HttpRequest, node_id: str) -> HttpResponse:
    """An acknowledgement for the peer: what this node holds of its log."""
    _may_carry(request)
    peer = _peer_or_404(node_id)
    of = request.POST.get("of", "")
    out = _bundle_dir() / f"ack-{uuid.uuid4().hex}{bundle.SUFFIX}"
    try:
        written = bundle.write_ack(peer, out, of=int(of) if of.isdigit() else 0)
    except bundle.BundleRefused as exc:
        return _status_page(request, extra={"bundle_error": str(exc)}, status=422)
    return _download(out, _file_name(written))


@login_required
@require_POST
def bundle_import(request: HttpRequest) -> HttpResponse:
    """Import an uploaded bundle: the page tells what it did, or why it was refused, and
    offers the acknowledgement to carry back."""
    _may_carry(request)
    upload = request.FILES.get("bundle")
    if upload is None:
        return _status_page(request, extra={"bundle_error": _("Choisissez le fichier du paquet à "
                                                               "importer.")}, status=422)
    path = _bundle_dir() / f"import-{uuid.uuid4().hex}{bundle.SUFFIX}"
    try:
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            result = bundle.import_bundle(path)
        except bundle.BundleRefused as exc:
            return _status_page(request, extra={"bundle_error": str(exc)}, status=422)
    finally:
        path.unlink(missing_ok=True)
    record_event(AuditAction.SYNC_RUN, user=request.user, request=request, bundle="import",
                 peer=result.peer.node_id, number=result.number, applied=result.applied)
    return _status_page(request, extra={
        "bundle_message": bundle.describe(result),
        "ack_peer": result.peer if result.kind == bundle.DATA else None,
        "ack_of": result.number})
