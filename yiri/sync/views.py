"""The parent's end of synchronisation over HTTP (``sync.transport``)."""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import identity, runs
from .transport import (
    MAX_BODY,
    PROTOCOL,
    Refusal,
    SyncError,
    check_request,
    open_body,
    pack,
    response_signature,
    seal_body,
    serve_exchange,
    unpack,
)

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/x-yiri-sync"  # compressed and sealed: left alone by the middleware


@csrf_exempt  # nodes authenticate by signature, not by session
@require_POST
def exchange(request):
    body = request.read(MAX_BODY // 4 + 1)
    if len(body) > MAX_BODY // 4:
        return JsonResponse({"error": "Message trop volumineux : réduisez la taille des lots."},
                            status=413)
    if not identity.has_keys():
        return JsonResponse({"error": "Le nœud parent n'a pas encore de clés : son opérateur "
                                      "lance « manage.py node init »."}, status=503)
    try:
        peer = check_request(request.headers, body)
        data = unpack(open_body(body))
        result = serve_exchange(peer, data)
        # The answer sealed to the child's key, then signed: only the child reads it.
        out = seal_body(peer.box_key, pack(result))
        signature = response_signature(peer, request.headers["X-Yiri-Nonce"], out)
    except Refusal as exc:
        log.warning("sync exchange refused: %s", exc.status)
        return JsonResponse({"error": exc.message}, status=exc.status)
    except SyncError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if result.get("applied"):
        runs.forward()  # a relay passes it on to its parent now
    response = HttpResponse(out, content_type=CONTENT_TYPE)
    response["X-Yiri-Signature"] = signature
    return response


@csrf_exempt  # nodes authenticate by signature, not by session
@require_POST
def backup_upload(request):
    """A child node's backup (``manage.py backup send``), kept here verified
    (``backup.children``). The archive travels as it was written: encrypted to the child
    and to this node, sealed once more to this node and signed like every request."""
    from django.utils.translation import gettext as _

    from yiri.backup import children
    from yiri.backup.archive import BackupError

    limit = children.upload_limit() + 64 * 1024
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"error": "Sauvegarde trop volumineuse pour l'envoi par le réseau : "
                                      "portez le fichier à la cellule de relais."}, status=413)
    if not identity.has_keys():
        return JsonResponse({"error": "Le nœud parent n'a pas encore de clés : son opérateur "
                                      "lance « manage.py node init »."}, status=503)
    try:
        peer = check_request(request.headers, body, path=children.UPLOAD_PATH)
        data, keys_copy = children.unframe(open_body(body))
        received = _receive(peer, data, keys_copy)
        result = {"v": PROTOCOL, "ok": received.ok, "created": received.created,
                  "differences": received.differences}
        out = seal_body(peer.box_key, pack(result))
        signature = response_signature(peer, request.headers["X-Yiri-Nonce"], out)
    except Refusal as exc:
        log.warning("backup upload refused: %s", exc.status)
        return JsonResponse({"error": exc.message}, status=exc.status)
    except (SyncError, BackupError) as exc:
        return JsonResponse({"error": str(exc) or _("Sauvegarde refusée.")}, status=400)
    response = HttpResponse(out, content_type=CONTENT_TYPE)
    response["X-Yiri-Signature"] = signature
    return response


def _receive(peer, data: bytes, keys_copy: bytes):
    """Write the uploaded archive to a private temporary file and take it in."""
    import os
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from yiri.backup import children

    fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".ybk", dir=settings.DATA_DIR)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return children.receive(Path(name), keys_copy or None, sender=peer.node_id)
    finally:
        Path(name).unlink(missing_ok=True)


# Headers that tell a browser how to show a page: an answer between two nodes is sealed,
# signed and read by Yiri only, so they are dropped from it — every byte counts on the
# 2G links of the offices (a sync with nothing to do stays under a kilobyte).
BROWSER_ONLY = ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy",
                "Cross-Origin-Opener-Policy", "X-Content-Type-Options", "Vary",
                "Content-Language")


class NodeWireMiddleware:
    """First in ``MIDDLEWARE`` (so it sees the answer last): strips ``BROWSER_ONLY`` from
    the answers of ``/sync/v1/``, and keeps ``Cache-Control: no-store``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/sync/v1/"):
            for name in BROWSER_ONLY:
                if response.has_header(name):
                    del response[name]
            response["Cache-Control"] = "no-store"
        return response
