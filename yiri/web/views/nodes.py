"""The page "Nœuds": this node's child nodes, their enrolment and revocation.

For the roles with ``manage_nodes`` (relay-cell data managers, the national coordination,
administrators). The same three steps as ``manage.py node`` (``sync/enrol.py``):

- ``/sync/nodes/``: this node's fingerprint (to read to a child's operator), its child
  nodes (name, kind, code, fingerprint, organisations, last contact, revoked), the
  revocations heard from elsewhere, and a form to upload an enrolment request;
- ``/sync/nodes/enrol/`` (POST): an uploaded request is checked and shown with its
  fingerprint; the operator types the fingerprint heard over the phone and ticks the
  organisations the child serves (only those this node holds, and for a relay-cell data
  manager only the cell's members); the grant file is then downloaded;
- ``/sync/nodes/<node>/revoke/``: a confirmation page, then the revocation (POST).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.sync import enrol, identity
from yiri.sync.enrol import EnrolError
from yiri.sync.models import NodeRevocation, Peer, PeerRole


def may_manage_nodes(user) -> bool:
    return user.can("manage_nodes", "system")


def _check(user) -> None:
    if not may_manage_nodes(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès aux nœuds enfants."))


def _fingerprint(peer: Peer) -> str:
    return identity.fingerprint(peer.sign_key, peer.box_key) if peer.sign_key and peer.box_key else ""


def _within(user, peer: Peer) -> bool:
    """Whether ``user`` may act on the child ``peer``: it serves only organisations the
    user could grant."""
    allowed = set(enrol.grantable_organisations(user).values_list("code", flat=True))
    return set(peer.organisations) <= allowed


def _mine() -> dict:
    try:
        return enrol.describe()
    except EnrolError as exc:
        return {"error": str(exc)}


@login_required
@require_GET
def nodes(request: HttpRequest) -> HttpResponse:
    _check(request.user)
    return _nodes_page(request)


def _nodes_page(request, *, error: str = "", status: int = 200) -> HttpResponse:
    children = list(Peer.objects.filter(role=PeerRole.CHILD).order_by("code", "name"))
    known = {p.node_id for p in children}
    return render(request, "web/nodes.html", {
        "me": _mine(), "parent": Peer.objects.filter(role=PeerRole.PARENT).first(),
        "children": [{"peer": p, "fingerprint": _fingerprint(p),
                      "kind": enrol.KIND_NAMES.get(p.kind, p.kind),
                      "may_revoke": not p.revoked and _within(request.user, p)} for p in children],
        "elsewhere": [r for r in NodeRevocation.objects.filter(deleted=False)
                      if r.node_id not in known],
        "error": error,
    }, status=status)


@login_required
@require_POST
def enrol_node(request: HttpRequest) -> HttpResponse:
    """Step 1 (a file uploaded): show the request; step 2 (confirmed): the grant."""
    user = request.user
    _check(user)
    upload = request.FILES.get("request_file")
    if upload is not None:
        data = upload.read(enrol.MAX_FILE + 1)
        try:
            req = enrol.read_request(data)
        except EnrolError as exc:
            return _nodes_page(request, error=str(exc), status=422)
        return _enrol_page(request, req)
    text = request.POST.get("request", "")
    try:
        req = enrol.read_request(text.encode())
    except EnrolError as exc:
        return _nodes_page(request, error=str(exc), status=422)
    codes = request.POST.getlist("organisations")
    typed = request.POST.get("fingerprint", "").strip()
    url = request.POST.get("url", "").strip()
    if not typed:
        return _enrol_page(request, req, error=_(
            "Saisissez l'empreinte que l'opérateur du nœud vous a lue au téléphone."), status=422)
    try:
        peer, grant = enrol.enrol(text, codes, typed, url=url, user=user)
    except EnrolError as exc:
        return _enrol_page(request, req, error=str(exc), status=422)
    record_event(AuditAction.PERMISSION_CHANGE, user=user, request=request, node_enrolled=peer.code,
                 organisations=peer.organisations)
    response = HttpResponse(grant, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accord-{peer.code}.json"'
    return response


def _enrol_page(request, req: enrol.EnrolRequest, *, error: str = "", status: int = 200):
    user = request.user
    posted = request.POST.getlist("organisations") if "request" in request.POST else []
    existing = Peer.objects.filter(node_id=req.node_id).first()
    return render(request, "web/node_enrol.html", {
        "req": req, "error": error, "existing": existing,
        "organisations": [(a.code, a.name, a.code in posted)
                          for a in enrol.grantable_organisations(user)],
        "typed": request.POST.get("fingerprint", "") if "request" in request.POST else "",
        "url": request.POST.get("url") or request.build_absolute_uri("/").rstrip("/"),
        "me": _mine(),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def revoke_node(request: HttpRequest, node_id: str) -> HttpResponse:
    user = request.user
    _check(user)
    peer = Peer.objects.filter(role=PeerRole.CHILD, node_id=node_id).first()
    if peer is None:
        raise Http404(_("Nœud enfant introuvable."))
    if not _within(user, peer):
        raise PermissionDenied(_("Ce nœud sert des organisations hors de votre portée : "
                                 "vous ne pouvez pas le révoquer."))
    if request.method == "GET" or peer.revoked:
        return render(request, "web/node_revoke.html", {"peer": peer, "fingerprint": _fingerprint(peer)})
    if request.POST.get("confirm") != "yes":
        return render(request, "web/node_revoke.html", {
            "peer": peer, "fingerprint": _fingerprint(peer),
            "error": _("Cochez la case pour confirmer la révocation.")}, status=422)
    try:
        enrol.revoke(peer.node_id, request.POST.get("reason", ""), user=user)
    except EnrolError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("sync_nodes"))
    record_event(AuditAction.PERMISSION_CHANGE, user=user, request=request, node_revoked=peer.code)
    messages.success(request, _("Nœud « %(name)s » révoqué : ses échanges sont refusés ; les nœuds "
                                "au-dessus l'apprendront à la prochaine synchronisation.")
                     % {"name": peer.name or peer.code})
    return redirect(reverse("sync_nodes"))
