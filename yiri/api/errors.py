"""API errors as JSON a client can act on, in the same words as the UI.

Every refused input is a 400 of one shape, ``{"errors": {field: [messages]}}`` (``__all__``
for the request as a whole), whether the form validation or the request parsing refused it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_handler

from yiri.cases.services import EditConflict, StaleRecord
from yiri.formconfig.validation import AnswersInvalid


def exception_handler(exc, context):
    if isinstance(exc, AnswersInvalid):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
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
        return Response({"detail": str(exc) or "Introuvable."}, status=status.HTTP_404_NOT_FOUND)
    response = drf_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        data = response.data
        if isinstance(data, dict):
            data = {("__all__" if k == api_settings.NON_FIELD_ERRORS_KEY else k): v
                    for k, v in data.items()}
        else:
            data = {"__all__": data}
        response.data = {"errors": data}
    return response
