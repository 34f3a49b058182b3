"""Reference data a client needs to show and fill forms: form schemas, lookups,
locations and member organisations. Labels follow the request language (French unless
``Accept-Language`` or ``?lang=`` asks for English)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiri.accounts.models import RecordType
from yiri.cases.access import section_right
from yiri.formconfig.models import Lookup, LookupValue
from yiri.formconfig.schema import get_schema
from yiri.network.models import Agency, Location, LocationLevel

from .common import errors, parse
from .pagination import Pagination

LANG_PARAMETER = OpenApiParameter(
    "lang", OpenApiTypes.STR, enum=[code for code, _name in settings.LANGUAGES],
    description="Language of the labels (default: Accept-Language, else French).",
)


class LanguageMixin:
    """``?lang=en`` overrides the language chosen from ``Accept-Language``."""


    def initial(self, request: Request, *args, **kwargs) -> None:
        lang = request.query_params.get("lang")
        if lang in dict(settings.LANGUAGES):
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        super().initial(request, *args, **kwargs)  # sign-in first: a stranger gets a 401
        if lang is not None and lang not in dict(settings.LANGUAGES):
            # The schema lists the languages: anything else is refused, not ignored.
            raise ValidationError({"lang": [_("Langue inconnue : fr ou en.")]})


# ---------------------------------------------------------------------------- forms


class FieldSerializer(serializers.Serializer):
    code = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    help = serializers.CharField()
    required = serializers.BooleanField()
    identifying = serializers.BooleanField()
    lookup = serializers.CharField(allow_null=True)
    subform = serializers.CharField(allow_null=True, help_text="Code of the row section.")
    min_value = serializers.FloatField(allow_null=True)
    max_value = serializers.FloatField(allow_null=True)
    max_length = serializers.IntegerField(allow_null=True)
    no_future = serializers.BooleanField()
    decimals = serializers.BooleanField()
    visible_if = serializers.JSONField(allow_null=True)


class SectionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    order = serializers.IntegerField()
    is_subform = serializers.BooleanField()
    visible = serializers.BooleanField()
    right = serializers.CharField(help_text="Your right on it: none, r or rw (rows: of the parent).")
    fields = FieldSerializer(many=True)


class FormSerializer(serializers.Serializer):
    record_type = serializers.CharField()
    language = serializers.CharField()
    sections = SectionSerializer(many=True)


class FormView(LanguageMixin, APIView):
    @extend_schema(summary="The form of a record type", parameters=[LANG_PARAMETER],
                   responses={200: FormSerializer, **errors(400, 404)})
    def get(self, request: Request, record_type: str) -> Response:
        if record_type not in RecordType.values:
            raise Http404(_("Formulaire introuvable."))
        schema = get_schema(record_type)
        parent_of = {f.subform: f.section for f in schema.fields.values() if f.subform}
        sections = [
            {
                "code": s.code, "name": s.name, "order": s.order, "is_subform": s.is_subform,
                "visible": s.visible, "fields": s.fields,
                "right": section_right(request.user, record_type, parent_of.get(s.code, s.code)),
            }
            for s in schema.sections.values()
        ]
        data = {"record_type": record_type, "language": translation.get_language(),
                "sections": sections}
        return Response(FormSerializer(data).data)


# ---------------------------------------------------------------------------- lookups


class LookupValueSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class LookupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    values = LookupValueSerializer(many=True, source="enabled_values")


class LookupFilterSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, help_text="Comma-separated lookup codes.")


class LookupListView(LanguageMixin, APIView):
    @extend_schema(summary="Lists of values (enabled values only)",
                   parameters=[LookupFilterSerializer, LANG_PARAMETER],
                   responses={200: LookupSerializer(many=True), **errors(400)})
    def get(self, request: Request) -> Response:
        codes = parse(LookupFilterSerializer, request.query_params).get("code")
        enabled = LookupValue.objects.filter(deleted=False, disabled=False).order_by("order", "code")
        lookups = Lookup.objects.filter(deleted=False).prefetch_related(
            Prefetch("values", queryset=enabled, to_attr="enabled_values")
        )
        if codes:
            lookups = lookups.filter(code__in=[c.strip() for c in codes.split(",")])
        return Response(LookupSerializer(lookups, many=True).data)


# ---------------------------------------------------------------------------- network


class LocationSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True,
                                          help_text="Code of the parent; null for a country.")

    class Meta:
        model = Location
        fields = ["code", "name", "level", "parent", "path"]


class LocationFilterSerializer(serializers.Serializer):
    parent = serializers.CharField(required=False, help_text="Code of the parent location.")
    level = serializers.ChoiceField(choices=LocationLevel.choices, required=False)
    q = serializers.CharField(required=False, help_text="Beginning of the code, or part of the name.")

    def validate_parent(self, code: str) -> str:
        if not Location.objects.filter(code=code, deleted=False).exists():
            raise serializers.ValidationError(_("Lieu inconnu : choisissez un lieu de la liste."))
        return code


class LocationListView(generics.ListAPIView):
    serializer_class = LocationSerializer
    pagination_class = Pagination

    @extend_schema(summary="Locations (administrative levels)", parameters=[LocationFilterSerializer],
                   responses={200: LocationSerializer(many=True), 400: errors(400)[400]})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = parse(LocationFilterSerializer, self.request.query_params)
        qs = Location.objects.filter(deleted=False).select_related("parent")
        if filters.get("parent"):
            qs = qs.filter(parent__code=filters["parent"])
        if filters.get("level"):
            qs = qs.filter(level=filters["level"])
        if filters.get("q"):
            qs = qs.filter(Q(code__istartswith=filters["q"]) | Q(name__icontains=filters["q"]))
        return qs.order_by("path")


class AgencySerializer(serializers.ModelSerializer):
    country = serializers.SlugRelatedField(slug_field="code", read_only=True)
    regions = serializers.SlugRelatedField(slug_field="code", read_only=True, many=True)

    class Meta:
        model = Agency
        fields = ["id", "code", "name", "acronym", "country", "regions", "contact_name", "phone",
                  "email", "address", "services_offered"]


class AgencyListView(generics.ListAPIView):
    serializer_class = AgencySerializer
    pagination_class = Pagination
    queryset = (Agency.objects.filter(deleted=False).select_related("country")
                .prefetch_related("regions").order_by("name"))

    @extend_schema(summary="Member organisations")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
