"""Cases, incidents and tracing requests: one viewset, parameterised by record type.

Every action is parse → access → one service → respond. Scope comes from
``visible_to`` / ``access_record`` (404 for whoever may not see a record, 403 for whoever
sees it but may not act), field rights from the service functions, which check them
themselves, so the API refuses exactly what the web interface refuses.
"""

from __future__ import annotations

from typing import ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases import identity
from yiri.cases.access import access_record, field_limits, readable_in, readable_sections
from yiri.cases.models import RECORD_MODELS, Record
from yiri.cases.search import filter_records, names_readable, rank_page, search_cases
from yiri.cases.services import create_record, delete_record, update_record
from yiri.formconfig.schema import get_schema
from yiri.workflow.history import record_operations

from .attachments import AttachmentsMixin
from .common import errors, parse
from .history import readable_history
from .notes import NotesAndFlagsMixin
from .pagination import Pagination
from .serializers import (
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseRowSerializer,
    CaseSearchSerializer,
    CreateRecordSerializer,
    HistoryEntrySerializer,
    RecordDetailSerializer,
    RecordFilterSerializer,
    RecordRowSerializer,
    SectionUpdateSerializer,
)

_UUID = "[0-9a-fA-F-]{32,36}"


class RecordViewSet(NotesAndFlagsMixin, AttachmentsMixin, viewsets.GenericViewSet):
    """The actions shared by every record type (notes, flags and attachments included).
    Subclasses set ``record_type``."""

    record_type: ClassVar[str] = ""
    filter_serializer_class: ClassVar[type[serializers.Serializer]] = RecordFilterSerializer
    row_serializer_class: ClassVar[type[serializers.Serializer]] = RecordRowSerializer
    detail_serializer_class: ClassVar[type[serializers.Serializer]] = RecordDetailSerializer
    pagination_class = Pagination
    lookup_value_regex = _UUID

    @property
    def model(self) -> type[Record]:
        return RECORD_MODELS[self.record_type]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).select_related(
            "owner", "owning_agency", "location"
        )

    def _rows(self, records) -> Response:
        records = list(records)
        user, schema = self.request.user, get_schema(self.record_type)
        name_sections = {schema.fields[c].section for c in identity.NAME_FIELDS
                         if c in schema.fields}
        ids = None
        for section in name_sections:  # through shares, per record (one query a section)
            found = readable_in(user, records, section)
            ids = found if ids is None else ids & found
        context = {"request": self.request, "name_ids": ids or set(),
                   "name_readable": names_readable(user, self.record_type)}
        data = self.row_serializer_class(records, many=True, context=context).data
        return self.get_paginated_response(data)

    def _detail(self, record: Record, code: int = status.HTTP_200_OK) -> Response:
        schema = get_schema(self.record_type)
        readable = readable_sections(self.request.user, schema, record)
        context = {"request": self.request, "schema": schema,
                   "name_readable": identity.name_readable(
                       readable, schema, field_limits(self.request.user, self.record_type))}
        return Response(self.detail_serializer_class(record, context=context).data, status=code)

    def list(self, request: Request) -> Response:
        filters = parse(self.filter_serializer_class, request.query_params)
        page = self.paginate_queryset(filter_records(self.get_queryset(), **filters))
        return self._rows(page)

    def retrieve(self, request: Request, pk: str) -> Response:
        record = access_record(request.user, self.model, pk)
        record_event(AuditAction.VIEW, user=request.user, request=request,
                     record_type=self.record_type, record_id=record.pk)
        return self._detail(record)

    def create(self, request: Request) -> Response:
        data = parse(CreateRecordSerializer, request.data)
        record = create_record(request.user, self.record_type, data["answers"], request=request)
        return self._detail(record, status.HTTP_201_CREATED)

    @action(detail=True, methods=["patch"], url_path=r"sections/(?P<section_code>[\w-]+)")
    def update_section(self, request: Request, pk: str, section_code: str) -> Response:
        data = parse(SectionUpdateSerializer, request.data)
        record = access_record(request.user, self.model, pk, "edit")
        record = update_record(request.user, record, data["answers"], section=section_code,
                               expected_version=data.get("version"),
                               base_stamps=data.get("stamps"), request=request)
        return self._detail(record)

    def destroy(self, request: Request, pk: str) -> Response:
        record = access_record(request.user, self.model, pk, "delete")
        delete_record(request.user, record, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        record = access_record(request.user, self.model, pk)
        operations = record_operations(record)
        page = self.paginate_queryset(operations.order_by("hlc", "counter"))
        entries = readable_history(request.user, record, get_schema(self.record_type), page)
        record_event(AuditAction.VIEW, user=request.user, request=request,
                     record_type=self.record_type, record_id=record.pk, part="history")
        return self.get_paginated_response(HistoryEntrySerializer(entries, many=True).data)


def _documented(name: str, filters, row, detail):
    """The OpenAPI description of one record type's endpoints."""
    return extend_schema_view(
        list=extend_schema(summary=f"List the {name} you may see", parameters=[filters],
                           responses={200: row(many=True), 400: errors(400)[400]}),
        retrieve=extend_schema(summary=f"Open one {name[:-1]} (audited)",
                               responses={200: detail, **errors(404)}),
        create=extend_schema(summary=f"Register a {name[:-1]}", request=CreateRecordSerializer,
                             responses={201: detail, **errors(400, 403)}),
        update_section=extend_schema(
            summary="Change the answers of one form section",
            parameters=[OpenApiParameter("section_code", OpenApiTypes.STR, OpenApiParameter.PATH)],
            request=SectionUpdateSerializer, responses={200: detail, **errors(400, 403, 404, 409)},
        ),
        destroy=extend_schema(summary=f"Delete a {name[:-1]} (kept as a tombstone)",
                              responses={204: None, **errors(403, 404)}),
        history=extend_schema(summary="Field change history, as far as you may read it",
                              responses={200: HistoryEntrySerializer(many=True), **errors(404)}),
    )


@_documented("cases", CaseFilterSerializer, CaseRowSerializer, CaseDetailSerializer)
class CaseViewSet(RecordViewSet):
    record_type = "case"
    queryset = RECORD_MODELS["case"].objects.none()
    filter_serializer_class = CaseFilterSerializer
    row_serializer_class = CaseRowSerializer
    detail_serializer_class = CaseDetailSerializer

    @extend_schema(
        summary="Search cases by name, phone, number and filters",
        description="POST so that names never appear in URLs or server logs. Each name "
        "word must meet a name of the case: same word, its beginning, same sound or "
        "spelling, another form of the name (Madou / Mahamadou) or a typo; given and "
        "family names in any order. Results come best first (rarer names weigh more; "
        "with q, age bounds are widened by three years and the closest birth years come "
        "first, sex keeps the records that do not say it and place ranks the nearest "
        "places first without leaving out the others; parent ranks the children of that "
        "parent first; results far below the best are left out). The search is audited "
        "(count only).",
        request=CaseSearchSerializer,
        responses={200: CaseRowSerializer(many=True), **errors(400, 404)},  # 404: past the last page
    )
    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        criteria = parse(CaseSearchSerializer, request.data)
        found = search_cases(request.user, **criteria).select_related(
            "owner", "owning_agency", "location"
        )
        page = rank_page(self.paginate_queryset(found), criteria.get("q"))
        record_event(AuditAction.SEARCH, user=request.user, request=request,
                     record_type=self.record_type, count=self.paginator.page.paginator.count)
        return self._rows(page)


@_documented("incidents", RecordFilterSerializer, RecordRowSerializer, RecordDetailSerializer)
class IncidentViewSet(RecordViewSet):
    record_type = "incident"
    queryset = RECORD_MODELS["incident"].objects.none()


@_documented("tracing requests", RecordFilterSerializer, RecordRowSerializer, RecordDetailSerializer)
class TracingRequestViewSet(RecordViewSet):
    record_type = "tracing_request"
    queryset = RECORD_MODELS["tracing_request"].objects.none()
