"""Case records, incidents and tracing requests.

Form answers live in JSON; the fields lists, filters, scoping and reports need are real
indexed columns derived from the answers by ``cases.columns`` and written only by the
service functions in ``cases.services``. Identifying answers are kept apart in
``identity_blob`` and read and written only through ``cases.identity``.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.cases.sealed import SealedTextField
from yiri.sync.models import RawWriteRefused, SyncedModel, SyncedQuerySet, raw_writes

__all__ = ["RawWriteRefused", "raw_writes"]


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    CLOSED = "closed", _("Clôturé")
    TRANSFERRED = "transferred", _("Transféré")
    DUPLICATE = "duplicate", _("Doublon")


class WorkflowStage(models.TextChoices):
    NEW = "new", _("Nouveau")
    REOPENED = "reopened", _("Rouvert")
    ASSESSMENT = "assessment", _("Évaluation")
    CASE_PLAN = "case_plan", _("Plan de prise en charge")
    CARE_PLAN = "care_plan", _("Plan de soins")
    ACTION_PLAN = "action_plan", _("Plan d'action")
    SERVICE_PROVISION = "service_provision", _("Fourniture de services")
    SERVICES_IMPLEMENTED = "services_implemented", _("Services réalisés")
    CLOSED = "closed", _("Clôturé")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("Élevé")
    MEDIUM = "medium", _("Moyen")
    LOW = "low", _("Faible")


def _choice_label(choices: type[models.TextChoices], value: str):
    """The label of ``value`` among ``choices``, or the value itself (as Django does)."""
    try:
        return str(choices(value).label)  # a str, as Django's (not the lazy label)
    except ValueError:
        return value


class RecordQuerySet(SyncedQuerySet):
    """Records change only through ``cases.services`` (change log, audit, columns), so the
    bulk shortcuts that would skip it are refused (``sync.models.SyncedQuerySet``)."""

    def visible_to(self, user) -> RecordQuerySet:
        """The records ``user`` may see. Every read path starts here."""
        from .access import scope_q

        return self.filter(scope_q(user, self.model))

    def alive(self) -> RecordQuerySet:
        return self.filter(deleted=False)


class Record(SyncedModel):
    """Shared columns of every record type. Subclasses set ``RECORD_TYPE``."""

    RECORD_TYPE = ""

    short_id = models.CharField(max_length=24, unique=True)
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    data = models.JSONField(default=dict, blank=True)
    identity_blob = models.TextField(default="", blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owning_agency = models.ForeignKey(
        "network.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "network.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location_path = models.CharField(max_length=400, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    # No name column: a sort by name reads the names through the codec (web.listing).
    # Set on each node by the erasure's execution there (``cases.erasure``), never logged:
    # the record keeps its non-identifying answers, read-only, shown as "effacé".
    erased = models.BooleanField(_("effacé"), default=False)

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.short_id


class Case(Record):
    RECORD_TYPE = "case"

    workflow_stage = models.CharField(
        max_length=24, choices=WorkflowStage.choices, default=WorkflowStage.NEW
    )
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True, default="")
    sex = models.CharField(max_length=10, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    age_estimated = models.BooleanField(default=False)
    registration_date = models.DateField(null=True, blank=True)
    # "|trafficked|street_child|": a filter on one concern is a substring test.
    concerns = models.CharField(max_length=400, blank=True, default="")
    urgent = models.BooleanField(default=False)
    consent_for_services = models.BooleanField(default=False)
    consent_disclosure = models.BooleanField(default=False)
    closure_date = models.DateField(null=True, blank=True)
    # Derived for the dashboard (yiri/dashboards), like the columns above (cases.columns):
    # the source of identification; one "|type+|" (implemented) or "|type-|" per live
    # service row, sorted; the earliest due date of the work still to do (case plan,
    # service appointment, follow-up: overdue = open and before today); how many required
    # answers of the form's main sections are missing.
    identified_by = models.CharField(max_length=40, blank=True, default="")
    services = models.CharField(max_length=400, blank=True, default="")
    next_due = models.DateField(null=True, blank=True)
    missing_required = models.PositiveSmallIntegerField(default=0)

    # Django's ``get_FOO_display`` rebuilds a dict of every choice at each call: a tenth of
    # the CPU of the home page and the case list, which show three of them per row. The
    # enums answer from their own table. (Defined here, in Case's own body: Django adds
    # its version only where the class has none.)
    def get_status_display(self):
        return _choice_label(CaseStatus, self.status)

    def get_workflow_stage_display(self):
        return _choice_label(WorkflowStage, self.workflow_stage)

    def get_risk_level_display(self):
        return _choice_label(RiskLevel, self.risk_level)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            # Partial indexes on live records: SQLite cannot use a "deleted" middle column
            # for ORDER BY updated_at (Django writes NOT "deleted"), bench/README.md.
            models.Index(fields=["owning_agency", "-updated_at"], condition=models.Q(deleted=False),
                         name="case_agency_live"),
            models.Index(fields=["owner", "-updated_at"], condition=models.Q(deleted=False),
                         name="case_owner_live"),
            models.Index(fields=["status", "-updated_at"], condition=models.Q(deleted=False),
                         name="case_status_live"),
            models.Index(fields=["workflow_stage", "-updated_at"], name="case_stage_upd"),
            models.Index(fields=["risk_level", "-updated_at"], name="case_risk_upd"),
            # varchar_pattern_ops lets PostgreSQL use the index for "starts with" in any
            # locale; other databases ignore opclasses.
            models.Index(fields=["location_path"], name="case_location_path",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["sex", "date_of_birth"], name="case_sex_dob"),
            # Newest first, with what a scope and the name search's order read: a relay
            # cell's or the country's newest cases are walked in the index alone (5,000 in
            # 7 ms instead of 157 at 340,000 cases), and a wide scope is joined with the
            # name tokens without reading the wide rows (bench/README.md).
            models.Index(fields=["-updated_at"], name="case_updated_scope",
                         include=["id", "created_at", "owner", "owning_agency", "location_path",
                                  "deleted"]),
            # The dashboard's and the indicators' counts (yiri/dashboards) read only these
            # columns: on PostgreSQL an index-only scan of this narrow index instead of the
            # wide rows (bench/README.md). SQLite has no INCLUDE: Django skips it there.
            models.Index(fields=["registration_date"], name="case_dashboard_cov",
                         include=["id", "status", "workflow_stage", "risk_level", "sex", "date_of_birth",
                                  "closure_date", "consent_for_services", "location_path",
                                  "owning_agency", "owner", "concerns", "identified_by", "services",
                                  "next_due", "missing_required"],
                         condition=models.Q(deleted=False)),
            # Overdue work (the case list's "en retard", the dashboard's per worker).
            models.Index(fields=["next_due"], name="case_next_due_open",
                         condition=models.Q(deleted=False, status="open")),
        ]


class Incident(Record):
    RECORD_TYPE = "incident"

    incident_date = models.DateField(null=True, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["owning_agency", "deleted", "-updated_at"], name="inc_agency_upd")]


class TracingRequest(Record):
    RECORD_TYPE = "tracing_request"

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="tracing_requests")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("demande de recherche")
        verbose_name_plural = _("demandes de recherche")
        indexes = [models.Index(fields=["owning_agency", "deleted", "-updated_at"], name="tr_agency_upd")]


RECORD_MODELS: dict[str, type[Record]] = {m.RECORD_TYPE: m for m in (Case, Incident, TracingRequest)}


class ShareKind(models.TextChoices):
    ASSIGNED = "assigned", _("Attribué")
    REFERRAL = "referral", _("Référé")
    TRANSFER = "transfer", _("Transfert en attente")


class RecordShare(SyncedModel):
    """Access to a record beyond its owner: assignment, referral, pending transfer.

    Scoping reads active shares; ``record_id`` is not a foreign key so one table serves
    every record type.
    """

    SYNC_ENTITY = "record_share"

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=ShareKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("network.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What the share permits, never more than the holder's role allows (cases.access):
    # section codes read and written ("*": every section the role reads or writes), the
    # record actions allowed, the subform rows written ({"services": [row id]}) and the
    # subforms where rows may be added (the holder may then write the rows they added).
    sections_read = models.JSONField(default=list, blank=True)
    sections_write = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    rows_write = models.JSONField(default=dict, blank=True)
    rows_add = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "active", "record_type"], name="share_user"),
            models.Index(fields=["agency", "active", "record_type"], name="share_agency"),
            models.Index(fields=["record_id"], name="share_record"),
        ]
        verbose_name = _("partage de fiche")
        verbose_name_plural = _("partages de fiche")

    @property
    def permits_all(self) -> bool:
        """An assignment: the holder works on the record with their role's full rights."""
        return ALL_SECTIONS in (self.sections_write or []) and ALL_ACTIONS in (self.actions or [])


ALL_SECTIONS = "*"
ALL_ACTIONS = "*"


def assignment_permit() -> dict:
    """What an assignment to a colleague permits: the role's rights, unchanged."""
    return {"sections_read": [ALL_SECTIONS], "sections_write": [ALL_SECTIONS],
            "actions": [ALL_ACTIONS], "rows_write": {}, "rows_add": []}


class NameToken(models.Model):
    """Search index of a record's names and phone numbers, derived locally (not synced).

    ``token`` is a keyed blind index (``blind_index``): the index key's id and an HMAC of a
    name word, a prefix of one, a phonetic key or a phone's last digits. No name is here
    in clear; each node computes its tokens under its own key.
    """

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField()
    token = models.CharField(max_length=32)

    class Meta:
        indexes = [
            # Covering: token -> record and record -> token never read the table.
            models.Index(fields=["token", "record_type", "record_id"], name="nametoken_token_cov"),
            models.Index(fields=["record_id", "token"], name="nametoken_record_cov"),
        ]
        verbose_name = _("jeton de recherche")
        verbose_name_plural = _("jetons de recherche")


def _text(blob: str) -> str:
    """The text of a ``*_blob`` column (``{"text": ...}``, encrypted at rest by its field)."""
    if not blob:
        return ""
    try:
        return json.loads(blob).get("text", "")
    except (ValueError, AttributeError):
        return ""


def sealed_text(value: str) -> str:
    """``value`` for a ``*_blob`` column (a ``SealedTextField``: encrypted when saved;
    empty stays empty)."""
    return json.dumps({"text": value}, ensure_ascii=False) if value else ""


class LoggedRowQuerySet(SyncedQuerySet):
    """Notes and flags change only through ``cases.notes`` (change log, audit)."""

    def of(self, record: Record) -> LoggedRowQuerySet:
        return self.filter(record_type=record.RECORD_TYPE, record_id=record.pk, deleted=False)


class Note(SyncedModel):
    """A dated note a worker writes on a record (CPIMS+ "notes").

    Subject and body are free text that may name people, so both are sealed through
    ``cases.identity`` and read only through ``subject`` and ``body``. Written only by
    ``cases.notes``; ``record_id`` is not a foreign key so one table serves every type.
    """

    SYNC_SEALED = frozenset({"subject_blob", "body_blob"})

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField()
    subject_blob = SealedTextField(default="", blank=True, editable=False)
    body_blob = SealedTextField(default="", blank=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    objects = LoggedRowQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["record_id", "-created_at"], name="note_record")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} {self.created_at:%Y-%m-%d}"

    @property
    def subject(self) -> str:
        return _text(self.subject_blob)

    @property
    def body(self) -> str:
        return _text(self.body_blob)


class Flag(SyncedModel):
    """A warning shown on a record ("risque de représailles", "ne pas contacter la
    famille"), with the reason it was raised; removing it keeps the row, with who removed
    it, when and why. Reasons are sealed like a note's text. Written only by ``cases.notes``.
    """

    SYNC_SEALED = frozenset({"reason_blob", "removal_reason_blob"})
    SYNC_ENTITY = "flag"

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField()
    reason_blob = SealedTextField(default="", blank=True, editable=False)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    flagged_at = models.DateTimeField()
    removed = models.BooleanField(default=False)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_reason_blob = SealedTextField(default="", blank=True, editable=False)

    objects = LoggedRowQuerySet.as_manager()

    class Meta:
        ordering = ["-flagged_at"]
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        indexes = [models.Index(fields=["record_id", "removed"], name="flag_record")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} {self.flagged_at:%Y-%m-%d}"

    @property
    def reason(self) -> str:
        return _text(self.reason_blob)

    @property
    def removal_reason(self) -> str:
        return _text(self.removal_reason_blob)


class ErasureReason(models.TextChoices):
    """Why a record is erased: a code, never free text (free text could name the child)."""

    RETENTION = "retention", _("Délai de conservation dépassé")
    REQUEST = "request", _("Demande de la personne concernée ou de son représentant")
    UNLAWFUL = "unlawful", _("Données collectées sans base légale")
    ERROR = "error", _("Dossier créé par erreur")


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("En attente d'approbation")
    REFUSED = "refused", _("Refusé")
    EXECUTED = "executed", _("Effacé")


class Erasure(SyncedModel):
    """The erasure of one record's identifying data: requested by one person with
    ``erase_records``, approved by another (four eyes), then executed on every node that
    holds the record (``cases.erasure``). Synchronised with the record (``record_id``), so
    it goes wherever the record's operations go; each node that applies an executed
    erasure runs the same execution. Holds ids and codes only.
    """

    SYNC_ENTITY = "erasure"

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField(db_index=True)
    short_id = models.CharField(_("numéro"), max_length=24, blank=True, default="")
    reason = models.CharField(_("motif"), max_length=12, choices=ErasureReason.choices)
    status = models.CharField(_("état"), max_length=12, choices=ErasureStatus.choices,
                              default=ErasureStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("demandé le"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("effacement")
        verbose_name_plural = _("effacements")

    def __str__(self) -> str:
        return f"{self.record_type} {self.short_id or self.record_id} {self.status}"
