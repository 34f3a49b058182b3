"""A batch deduplication run and the pairs it found (issue 10).

Both are local to the node that ran the analysis, like ``sync.SyncRun``: not synchronised
(a run over a relay cell's cases means nothing on another node), never holding a name —
a pair stores the two case ids, its score and the per-field verdicts ("Prénom :
orthographe proche"), not the values compared.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
