"""The parent's end of synchronisation over HTTP (``sync.transport``)."""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import identity, runs
from .transport import (
    MAX_BODY,
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
