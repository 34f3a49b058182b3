"""Shapes of records in the API: request bodies, list rows, detail, change history.

Serializers here only parse and format. What a user may see is decided before they run
(``visible_to``, ``access_record``) and passed in the context: ``name_readable`` (may the
user read the section holding the child's names) and, for the detail, ``schema``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yiri.cases import identity
from yiri.cases.access import (
    field_limits,
    readable_sections,
    rights_for,
    visible_answers,
    writable_sections,
)
from yiri.cases.models import CaseStatus, RiskLevel, WorkflowStage
from yiri.cases.services import stamps_of
from yiri.lib.ages import age_on
from yiri.network.models import Agency, Location


class ErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field code (or `__all__`) → messages, in the language of the request.",
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# ---------------------------------------------------------------------------- parsing


@extend_schema_field(OpenApiTypes.DATETIME)
class DateOrDateTimeField(serializers.Field):
    """An ISO date-time, or a date meaning the start of that day (local time)."""

    default_error_messages = {"invalid": _("Saisissez une date (AAAA-MM-JJ) ou une date et heure ISO.")}

    def to_internal_value(self, data: Any) -> dt.datetime:
        text = str(data).strip()
        try:
            value = parse_datetime(text)
            if value is None and (day := parse_date(text)) is not None:
                value = dt.datetime.combine(day, dt.time.min)
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        try:  # in UTC: PostgreSQL refuses offsets past ±15:59 that Python accepts (a 500)
            return value.astimezone(dt.UTC)
        except OverflowError:  # before year 1 once in UTC
            self.fail("invalid")

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


class RecordFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    location = serializers.CharField(
        required=False, help_text="Location code: that place and everything below it."
    )
    agency = serializers.CharField(required=False, help_text="Agency code.")
    owner = serializers.UUIDField(required=False, help_text="Owner's user id.")
    updated_since = DateOrDateTimeField(required=False)

    def validate_location(self, code: str) -> str:
        if not Location.objects.filter(code=code, deleted=False).exists():
            raise serializers.ValidationError(_("Lieu inconnu : choisissez un lieu de la liste."))
        return code

    def validate_agency(self, code: str) -> str:
        if not Agency.objects.filter(code=code, deleted=False).exists():
            raise serializers.ValidationError(_("Organisation inconnue."))
        return code


class CaseFilterSerializer(RecordFilterSerializer):
    workflow_stage = serializers.ChoiceField(choices=WorkflowStage.choices, required=False)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    sex = serializers.CharField(required=False)
    age_min = serializers.IntegerField(required=False, min_value=0, max_value=150)
    age_max = serializers.IntegerField(required=False, min_value=0, max_value=150)
    concern = serializers.CharField(required=False, help_text="A protection concern code.")

    def validate(self, attrs: dict) -> dict:
        low, high = attrs.get("age_min"), attrs.get("age_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"age_max": [_("L'âge maximum doit être supérieur à l'âge minimum.")]}
            )
        return attrs


class CaseSearchSerializer(CaseFilterSerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Name words; accents, letter case and common "
                                        "spelling variants do not matter.")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    short_id = serializers.CharField(required=False, allow_blank=True, max_length=24)
    parent = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                   help_text="A mother's or father's name, with q: ranks the "
                                             "children whose parent it names first.")

    def validate_phone(self, value: str) -> str:
        if value and sum(c.isdigit() for c in value) < 6:
            raise serializers.ValidationError(_("Saisissez au moins 6 chiffres du numéro."))
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if not any(v not in (None, "") for v in attrs.values()):
            raise serializers.ValidationError(_("Saisissez au moins un critère de recherche."))
        if attrs.get("parent") and not (attrs.get("q") or "").strip():
            raise serializers.ValidationError({"parent": [
                _("Le nom d'un parent complète le nom de l'enfant : saisissez aussi celui-ci.")]})
        return attrs


class CreateRecordSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text="Field code → answer, as in the form schema.")


class SectionUpdateSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text="Field code → answer, fields of this section only.")
    stamps = serializers.DictField(
        required=False, allow_empty=True,
        help_text="Field path → stamp, as the detail's `stamps` gave them when the values were "
                  "read: the change is merged field by field (fields changed meanwhile by "
                  "someone else and by you come back as a 409 with both values).")
    version = serializers.IntegerField(
        min_value=0, required=False,
        help_text="Instead of `stamps`: the record version read; any change since is a 409."
    )

    def validate(self, attrs):
        if "stamps" not in attrs and "version" not in attrs:
            raise serializers.ValidationError(
                _("Envoyez les marques de version lues (stamps) ou la version du dossier."))
        return attrs


# ---------------------------------------------------------------------------- output


class UserRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class LocationRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DisplayNameField(serializers.CharField):
    def to_representation(self, record) -> str:
        return identity.display_name(record)


class RecordRowSerializer(serializers.Serializer):
    """One line of a list. ``display_name`` is left out for a user who may not read names."""

    id = serializers.UUIDField()
    short_id = serializers.CharField()
    status = serializers.CharField()
    location = LocationRefSerializer(allow_null=True)
    owner = UserRefSerializer(allow_null=True)
    agency = serializers.CharField(source="owning_agency.code", allow_null=True, default=None)
    updated_at = serializers.DateTimeField()
    display_name = DisplayNameField(
        source="*", required=False,
        help_text="Absent unless the user may read the section holding the names.",
    )

    def to_representation(self, record) -> dict:
        data = super().to_representation(record)
        ids = self.context.get("name_ids")  # lists: records reached through a share
        if not self.context.get("name_readable", False) or (ids is not None and record.pk not in ids):
            data.pop("display_name", None)
        return data


class CaseColumnsMixin(serializers.Serializer):
    workflow_stage = serializers.CharField()
    risk_level = serializers.CharField()
    sex = serializers.CharField()
    age = serializers.SerializerMethodField()
    age_estimated = serializers.BooleanField()

    def get_age(self, case) -> int | None:
        return age_on(case.date_of_birth)


class CaseRowSerializer(RecordRowSerializer, CaseColumnsMixin):
    pass


class SectionRightsSerializer(serializers.Serializer):
    readable = serializers.ListField(child=serializers.CharField())
    writable = serializers.ListField(child=serializers.CharField())


class RecordDetailSerializer(RecordRowSerializer):
    """A record with the answers of the sections the user may read."""

    record_type = serializers.CharField(source="RECORD_TYPE")
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    answers = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()
    can = serializers.SerializerMethodField(help_text="Actions the user may take on it.")
    stamps = serializers.SerializerMethodField(
        help_text="Field path → stamp of the readable answers: send them back with a change.")

    def get_answers(self, record) -> dict[str, Any]:
        schema = self.context["schema"]
        user = self.context["request"].user
        return visible_answers(user, schema, identity.read_answers(record, schema), record)

    @extend_schema_field(SectionRightsSerializer)
    def get_sections(self, record) -> dict:
        schema, user = self.context["schema"], self.context["request"].user
        return {"readable": readable_sections(user, schema, record),
                "writable": writable_sections(user, schema, record)}

    def get_can(self, record) -> dict[str, bool]:
        rights = rights_for(self.context["request"].user, record)
        return {action: rights.can(action) for action in ("edit", "delete")}

    def get_stamps(self, record) -> dict[str, str | None]:
        schema, user = self.context["schema"], self.context["request"].user
        readable = set(readable_sections(user, schema, record))
        limits = field_limits(user, schema.record_type)
        return stamps_of(record, schema, [c for c, f in schema.fields.items()
                                          if f.section in readable and limits.shows(c)])


class CaseDetailSerializer(RecordDetailSerializer, CaseColumnsMixin):
    date_of_birth = serializers.DateField()
    registration_date = serializers.DateField()
    urgent = serializers.BooleanField()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Field path; `@owner`, `@status`… for metadata.")
    section = serializers.CharField(allow_null=True)
    value = serializers.JSONField(allow_null=True)
    old_value = serializers.JSONField(allow_null=True)


class HistoryEventSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`approval_requested`, `approval_approved`, "
                                 "`approval_rejected`, `referral_sent`, `referral_accepted`, "
                                 "`referral_declined`, `referral_done`, `referral_revoked`, "
                                 "`transfer_proposed`, `transfer_accepted`, `transfer_declined`, "
                                 "`transfer_revoked`, `case_closed`, `case_reopened`.")
    label = serializers.CharField()
    comment = serializers.CharField(allow_null=True, help_text=(
        "The text typed with the step; null when none or when the reader may not read the "
        "section it belongs with."))


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    author = UserRefSerializer(allow_null=True)
    changes = FieldChangeSerializer(many=True)
    event = HistoryEventSerializer(allow_null=True, help_text=(
        "A workflow step of a case (approval, referral, transfer, closure, reopening)."))
