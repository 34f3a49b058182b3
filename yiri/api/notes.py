"""Notes and flags of a record in the API: ``/api/v1/<records>/{id}/notes/`` and ``.../flags/``.

The same rules as the record page, because the same ``cases.notes`` functions decide:
404 for whoever does not see the record, 403 for a role that may not write (or read)
notes, refused text as a 400 with the messages per field.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases.access import access_record
from yiri.cases.notes import (
    access_flag,
    add_flag,
    add_note,
    can_read_notes,
    flags_for,
    notes_for,
    remove_flag,
)

from .common import errors, parse
from .serializers import UserRefSerializer


class NoteSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    subject = serializers.CharField()
    body = serializers.CharField()
    author = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


class NewNoteSerializer(serializers.Serializer):
    subject = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="Optional, at most 200 characters.")
    body = serializers.CharField(allow_blank=True, help_text="At most 5,000 characters.")


class FlagSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reason = serializers.SerializerMethodField(
        help_text="null unless the user may read the section holding the names.")
    flagged_by = UserRefSerializer(allow_null=True)
    flagged_at = serializers.DateTimeField()
    removed = serializers.BooleanField()
    removed_by = UserRefSerializer(allow_null=True)
    removed_at = serializers.DateTimeField(allow_null=True)
    removal_reason = serializers.SerializerMethodField(help_text="null as for `reason`.")

    def get_reason(self, flag) -> str | None:
        return flag.reason if self.context.get("reason_readable") else None

    def get_removal_reason(self, flag) -> str | None:
        return flag.removal_reason if self.context.get("reason_readable") else None


class FlagReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="At most 500 characters.")


_ALL = OpenApiParameter("include_removed", OpenApiTypes.BOOL, required=False,
                        description="Also the flags lifted earlier.")


class NotesAndFlagsMixin:
    """The notes and flags actions of ``RecordViewSet`` (which provides ``model``)."""

    @extend_schema(methods=["GET"], summary="The notes on a record, newest first (audited)",
                   responses={200: NoteSerializer(many=True), **errors(403, 404)})
    @extend_schema(methods=["POST"], summary="Write a note on a record", request=NewNoteSerializer,
                   responses={201: NoteSerializer, **errors(400, 403, 404)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain array
    def notes(self, request: Request, pk: str) -> Response:
        record = access_record(request.user, self.model, pk)
        if request.method == "POST":
            data = parse(NewNoteSerializer, request.data)
            note = add_note(request.user, record, subject=data["subject"], body=data["body"],
                            request=request)
            return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
        found = notes_for(request.user, record)
        record_event(AuditAction.VIEW, user=request.user, request=request,
                     record_type=record.RECORD_TYPE, record_id=record.pk, part="notes")
        return Response(NoteSerializer(found, many=True).data)

    @extend_schema(methods=["GET"], summary="The flags (warnings) on a record",
                   parameters=[_ALL], responses={200: FlagSerializer(many=True), **errors(404)})
    @extend_schema(methods=["POST"], summary="Flag a record, with a reason",
                   request=FlagReasonSerializer,
                   responses={201: FlagSerializer, **errors(400, 403, 404)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain array
    def flags(self, request: Request, pk: str) -> Response:
        record = access_record(request.user, self.model, pk)
        if request.method == "POST":
            data = parse(FlagReasonSerializer, request.data)
            flag = add_flag(request.user, record, reason=data["reason"], request=request)
            return self._flag(flag, record, status.HTTP_201_CREATED)
        every = request.query_params.get("include_removed") in ("1", "true", "True")
        return Response(FlagSerializer(flags_for(request.user, record, every), many=True,
                                       context=self._readable(record)).data)

    @extend_schema(summary="Lift a flag, with a reason", request=FlagReasonSerializer,
                   parameters=[OpenApiParameter("flag_id", OpenApiTypes.UUID,
                                                OpenApiParameter.PATH)],
                   responses={200: FlagSerializer, **errors(400, 403, 404)})
    @action(detail=True, methods=["post"], url_path=r"flags/(?P<flag_id>[0-9a-fA-F-]{32,36})/remove")
    def lift_flag(self, request: Request, pk: str, flag_id: str) -> Response:
        record = access_record(request.user, self.model, pk)
        flag = access_flag(request.user, flag_id, on=record)
        data = parse(FlagReasonSerializer, request.data)
        return self._flag(remove_flag(request.user, flag, reason=data["reason"], request=request),
                          record)

    def _readable(self, record) -> dict:
        return {"reason_readable": can_read_notes(self.request.user, record.RECORD_TYPE, record)}

    def _flag(self, flag, record, code: int = status.HTTP_200_OK) -> Response:
        return Response(FlagSerializer(flag, context=self._readable(record)).data, status=code)
