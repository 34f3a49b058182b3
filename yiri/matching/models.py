"""What duplicate detection and review keep.

``DedupeRun`` and ``DedupePair``: a batch deduplication run and the pairs it found, local
to the node that ran it (like ``sync.SyncRun``), never holding a name — a pair stores the
two case ids, its score and the per-field verdicts, not the values compared.

The review (``matching.review``, ``matching.merge``): pairs to look at, the decisions taken
on them, the questions sent to another organisation and the merges made (and undone).
Those tables are ``SyncedModel`` rows: written through ``sync.log`` (``save_logged``), each
travels with the record it names in ``record_type``/``record_id`` (``sync.scope``), so a
decision taken on the relay cell reaches every node holding that record. A pair names
its second record in ``other_type``/``other_id``; a node proposing a pair holds both, so
it holds the decision whichever record the decision travels with.

Review rows link to each other by UUID, not by foreign key: a row may arrive on a node
before the row it names. Two nodes may propose the same pair at the same time: each
proposal is its own row (random id, no conflict to resolve), and the queue shows one
entry per pair (``pair_key``). A "not the same" decision is its own row too, so that a
proposal made concurrently elsewhere can never undo it: any live decision of a pair hides
every proposal of it, on every node.
"""


from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.cases.sealed import SealedTextField
from yiri.sync.models import SyncedModel


class DedupeRun(models.Model):
    """One analysis of every case in a scope: progress (read by the page that polls it),
    the model it learnt, what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminée")
        FAILED = "failed", _("Échouée")

    started_by_id = models.UUIDField(null=True, blank=True)  # None: the command, whole node
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=20, blank=True, default="")
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    records = models.IntegerField(default=0)
    pairs_scored = models.BigIntegerField(default=0)
    pairs_found = models.IntegerField(default=0)  # stored: probability >= "possible"
    clusters = models.IntegerField(default=0)  # groups of two records or more
    threshold = models.FloatField(default=0.5)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The learnt Fellegi–Sunter model (``scoring.Model.to_json``): m, u, λ and the
    # frequencies of names written by at least ten records (no rare, identifying name).
    model = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("recherche de doublons")
        verbose_name_plural = _("recherches de doublons")

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class DedupePair(models.Model):
    """Two cases a run found probably (or possibly) the same child."""

    run = models.ForeignKey(DedupeRun, on_delete=models.CASCADE, related_name="pairs")
    record_a = models.UUIDField()
    record_b = models.UUIDField()
    weight = models.FloatField()
    probability = models.FloatField()
    band = models.CharField(max_length=10)  # likely / possible
    # The group both records were put in by the run (None: not grouped together).
    cluster = models.IntegerField(null=True, blank=True)
    # [{"field", "level", "weight", "detail"}] (scoring.FieldVerdict), no value compared
    fields = models.JSONField(default=list)

    class Meta:
        ordering = ["-probability", "id"]
        verbose_name = _("paire de doublons possibles")
        verbose_name_plural = _("paires de doublons possibles")
        indexes = [models.Index(fields=["run", "-probability"], name="dedupe_pair_run_prob")]
        constraints = [models.UniqueConstraint(fields=["run", "record_a", "record_b"],
                                               name="dedupe_pair_once")]

    @property
    def combination(self) -> float:
        """What the fields taken together add to their weights (``scoring.combination``:
        a pattern frequent among siblings or namesakes weighs against a duplicate)."""
        return round(self.weight - sum(f.get("weight", 0.0) for f in self.fields), 1)


def pair_key(a_id, b_id, trace_row: str = "") -> str:
    """The same key for a pair whichever order its records come in (a tracing pair adds
    the row of the child sought)."""
    first, second = sorted((str(a_id), str(b_id)))
    return f"{first}|{second}" + (f"|{trace_row}" if trace_row else "")


class MatchSource(models.TextChoices):
    LIVE = "live", _("À l'enregistrement")
    BATCH = "batch", _("Recherche des doublons")
    TRACING = "tracing", _("Recherche familiale")


class MatchStatus(models.TextChoices):
    OPEN = "open", _("À examiner")
    SAME = "same", _("Même enfant (fusionné)")
    NOT_SAME = "not_same", _("Pas le même enfant")
    ASKED = "asked", _("Question posée à l'autre organisation")


class MatchBand(models.TextChoices):
    LIKELY = "likely", _("Probable")
    POSSIBLE = "possible", _("Possible")
    UNLIKELY = "unlikely", _("Peu probable")


class MatchCandidate(SyncedModel):
    """Two records that may be the same child, for a person to review. ``verdicts`` is
    the per-field explanation as codes and numbers only (``[field, level, weight]``): the
    values themselves are read from the records when the pair is shown."""

    SYNC_ENTITY = "match_candidate"

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField(db_index=True)
    other_type = models.CharField(max_length=20)
    other_id = models.UUIDField(db_index=True)
    # A tracing pair: the ``traces`` row (child sought) of the tracing request.
    trace_row = models.CharField(max_length=40, blank=True, default="")
    pair_key = models.CharField(max_length=120, db_index=True)
    source = models.CharField(_("origine"), max_length=10, choices=MatchSource.choices)
    status = models.CharField(_("état"), max_length=10, choices=MatchStatus.choices,
                              default=MatchStatus.OPEN)
    weight = models.FloatField(_("poids"), default=0.0)
    probability = models.FloatField(_("probabilité"), default=0.0)
    band = models.CharField(_("classe"), max_length=10, choices=MatchBand.choices,
                            default=MatchBand.POSSIBLE)
    verdicts = models.JSONField(default=list, blank=True)
    found_at = models.DateTimeField(_("trouvé le"))
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-probability", "-found_at"]
        verbose_name = _("doublon possible")
        verbose_name_plural = _("doublons possibles")
        indexes = [models.Index(fields=["status", "-probability"], name="match_open")]

    def __str__(self) -> str:
        return f"{self.pair_key} ({self.status})"

    def ids(self) -> tuple:
        return self.record_id, self.other_id


class NotSamePair(SyncedModel):
    """A person decided that two records are not the same child: the pair is never
    proposed again (in either order), on any node the decision reaches."""

    SYNC_ENTITY = "match_not_same"

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField(db_index=True)
    other_type = models.CharField(max_length=20)
    other_id = models.UUIDField(db_index=True)
    trace_row = models.CharField(max_length=40, blank=True, default="")
    pair_key = models.CharField(max_length=120, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("paire écartée (pas le même enfant)")
        verbose_name_plural = _("paires écartées (pas le même enfant)")


class MatchQuestion(SyncedModel):
    """"Ask the other organisation": travels with the other organisation's record
    (``record_id``), so it reaches their node, where their people are notified. It
    names who asks; never anything of the asker's record."""

    SYNC_ENTITY = "match_question"

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField(db_index=True)
    candidate_id = models.UUIDField()
    from_agency = models.ForeignKey("network.Agency", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey("network.Agency", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()

    class Meta:
        ordering = ["-asked_at"]
        verbose_name = _("question à une autre organisation")
        verbose_name_plural = _("questions à d'autres organisations")


class Merge(SyncedModel):
    """One record (``merged_id``) merged into another (``record_id``, the survivor).

    ``details_blob`` (sealed: it holds answers) keeps what undoing needs and what a
    person must see: ``before`` (the survivor's values the merge changed), ``alternates``
    (the merged record's values that differed: the survivor kept its own, these are
    shown on its page), ``rows`` (subform rows brought over). ``copies`` lists the ids of
    the notes, flags, files, referrals and shares copied onto the survivor and the linked
    records moved to it. The merged record itself is tombstoned, its answers untouched,
    its operation carrying ``merged_into``."""

    SYNC_ENTITY = "match_merge"
    SYNC_SEALED = frozenset({"details_blob"})

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField(db_index=True)
    merged_id = models.UUIDField(db_index=True)
    merged_short_id = models.CharField(_("numéro fusionné"), max_length=24, blank=True, default="")
    merged_status = models.CharField(max_length=12, blank=True, default="")
    candidate_id = models.UUIDField(null=True, blank=True)
    details_blob = SealedTextField(default="", blank=True, editable=False)
    copies = models.JSONField(default=dict, blank=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField()
    undone = models.BooleanField(default=False)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("fusion de dossiers")
        verbose_name_plural = _("fusions de dossiers")

    @property
    def details(self) -> dict:
        if not self.details_blob:
            return {}
        try:
            return json.loads(self.details_blob)
        except ValueError:
            return {}
