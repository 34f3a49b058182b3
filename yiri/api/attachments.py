"""Photos and documents of a record in the API: ``/api/v1/<records>/{id}/attachments/``.

The same rules as the record page, because the same ``attachments.services`` functions
decide: 404 for whoever does not see the record or may not read the field's section,
403 for a role that reads but may not write it, a refused file as a 400 with its message
under ``file``. Contents are answered with the same headers as the pages' downloads.
"""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from yiri.attachments.http import file_response
from yiri.attachments.services import (
    add_attachment,
    attachments_for,
    read_content,
    remove_attachment,
)
from yiri.cases.access import access_record

from .common import errors, parse
from .parsers import JSONParser
from .serializers import UserRefSerializer

_UUID = "[0-9a-fA-F-]{32,36}"


class AttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    field = serializers.CharField(source="field_code")
    name = serializers.CharField(help_text="The file name as uploaded (identifying).")
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes stored (images are re-encoded).")
    sha256 = serializers.CharField()
    has_thumbnail = serializers.BooleanField()
    uploaded_by = UserRefSerializer(allow_null=True)
    uploaded_at = serializers.DateTimeField()


class UploadSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="An attachment field, e.g. `photos` or "
                                            "`supporting_documents`.")
    file = serializers.FileField(required=False, allow_empty_file=True,
                                 help_text="JPEG, PNG or WebP (and PDF for documents).")


class _FileRenderer(BaseRenderer):
    """Lets a client ask for ``image/*`` or ``application/pdf``: the file views answer
    Django responses; only an error (a dict) is rendered, as JSON."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode() if isinstance(data, dict | list) else data


_ATT = OpenApiParameter("attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_THUMB = OpenApiParameter("thumbnail", OpenApiTypes.BOOL, required=False,
                          description="The small JPEG thumbnail of an image instead.")


class AttachmentsMixin:
    """The attachment actions of ``RecordViewSet`` (which provides ``model``)."""

    @extend_schema(methods=["GET"], summary="The files attached to a record, by field",
                   responses={200: AttachmentSerializer(many=True), **errors(404)})
    @extend_schema(methods=["POST"], summary="Attach a photo or a document (multipart)",
                   request={"multipart/form-data": UploadSerializer},
                   responses={201: AttachmentSerializer, **errors(400, 403, 404)})
    @action(detail=True, methods=["get", "post"], pagination_class=None,  # a plain array
            parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request: Request, pk: str) -> Response:
        record = access_record(request.user, self.model, pk)
        if request.method == "POST":
            data = parse(UploadSerializer, request.data)
            att = add_attachment(request.user, record, data["field"], data.get("file"),
                                 skipped_size=getattr(request._request, "upload_too_big", 0),
                                 request=request)
            return Response(AttachmentSerializer(att).data, status=status.HTTP_201_CREATED)
        files = [a for items in attachments_for(request.user, record).values() for a in items]
        return Response(AttachmentSerializer(files, many=True).data)

    @extend_schema(summary="The content of an attached file (download audited)",
                   parameters=[_ATT, _THUMB],
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                       OpenApiTypes.BINARY), **errors(404)})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, _FileRenderer],
            url_path=rf"attachments/(?P<attachment_id>{_UUID})/content")
    def attachment_content(self, request: Request, pk: str, attachment_id: str):
        record = access_record(request.user, self.model, pk)
        thumbnail = request.query_params.get("thumbnail") in ("1", "true", "True")
        att, data = read_content(request.user, record, attachment_id, thumbnail=thumbnail,
                                 request=request)
        return file_response(record, att, data, thumbnail=thumbnail)

    @extend_schema(summary="Remove an attached file (the row is kept, the bytes erased)",
                   parameters=[_ATT], responses={204: None, **errors(403, 404)})
    @action(detail=True, methods=["delete"], url_path=rf"attachments/(?P<attachment_id>{_UUID})")
    def remove_attachment(self, request: Request, pk: str, attachment_id: str) -> Response:
        record = access_record(request.user, self.model, pk)
        remove_attachment(request.user, record, attachment_id, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
