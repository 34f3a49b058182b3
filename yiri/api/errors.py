"""API errors as JSON a client can act on, in the same words as the UI.

Every refused input is a 400 of one shape, ``{"errors": {field: [messages]}}`` (``__all__``
for the request as a whole), whether the form validation, the request parsing (broken or
too deeply nested JSON) or anything else refused it; a body over the size limit is a 413 of
the same shape. Other refusals (401, 403, 404, 405, 409) are ``{"detail": message}``. An
unknown ``/api/`` path gets a JSON 404 too (``not_found``), and a server error a JSON 500.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_handler

from yiri.cases.services import EditConflict, StaleRecord
from yiri.formconfig.validation import AnswersInvalid


def too_big_message() -> str:
    return _("Requête trop volumineuse : envoyez moins de données à la fois (les fichiers "
             "joints un par un).")


def exception_handler(exc, context):
    if isinstance(exc, AnswersInvalid):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"errors": {"__all__": [too_big_message()]}},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        return Response({"errors": {"__all__": [_("Trop de champs dans la requête.")]}},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, EditConflict):
        # The writer reads these fields (it is writing them): both values are shown, with
        # the stamps of now to send back when the client has chosen.
        return Response({
            "detail": str(exc),
            "conflicts": [{"field": c.path, "value": c.theirs, "your_value": c.mine,
                           "old_value": c.base} for c in exc.conflicts],
            "stamps": exc.stamps,
        }, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, StaleRecord):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PermissionDenied) and exc.args:
        return Response({"detail": str(exc.args[0])}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        return Response({"detail": str(exc) or _("Introuvable.")},
                        status=status.HTTP_404_NOT_FOUND)
    response = drf_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        data = response.data
        if isinstance(data, dict):
            data = {("__all__" if k == api_settings.NON_FIELD_ERRORS_KEY else k): v
                    for k, v in data.items()}
        else:
            data = {"__all__": data}
        response.data = {"errors": data}
    elif (response is not None and isinstance(exc, APIException)
          and response.status_code == status.HTTP_400_BAD_REQUEST):
        response.data = {"errors": {"__all__": [str(exc.detail)]}}  # e.g. broken JSON
    return response


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """handler404: JSON under ``/api/``, Django's page elsewhere."""
    if is_api(request):
        return JsonResponse({"detail": _("Introuvable.")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """handler500: JSON under ``/api/``, Django's page elsewhere (no detail either way)."""
    if is_api(request):
        return JsonResponse({"detail": _("Erreur du serveur : réessayez plus tard ou prévenez "
                                         "votre administrateur.")}, status=500)
    from django.views.defaults import server_error as page

    return page(request)


class BodySizeMiddleware:
    """An API request whose declared body is over the limit is answered at once with a
    JSON 413, before anything reads it (Django would raise RequestDataTooBig later and
    answer an HTML 400). The limit: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            from django.conf import settings

            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            # A file upload is streamed, never held: its size is checked per file, with a
            # message naming it (attachments/uploads.py).
            multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if not multipart and limit is not None and length > limit:
                return JsonResponse({"errors": {"__all__": [too_big_message()]}}, status=413)
        return self.get_response(request)
