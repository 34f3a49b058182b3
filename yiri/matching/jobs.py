"""The batch deduplication as a background job over the cases a node holds.

``start_run(user)`` creates a ``DedupeRun``; from the page it then runs as a background
job (``yiri.jobs``, kind ``dedupe``: a worker process of its own, as the analysis is
CPU-bound for minutes and a thread would take turns with the server's requests on the
interpreter lock), writing its progress into the run's row, which the page polls, and
into the job's. ``manage.py matching dedupe`` runs it in the terminal through the same job
mechanism, with the same progress bar. One run at a time; a run whose job's process died
is closed as failed (``jobs.refresh``), and any run is taken as over after ``STALE_AFTER``.

Scope: a run started by a person covers the cases that person may see
(``Case.objects.visible_to``: a relay cell's data manager, its regions; the national
coordination, the whole network); a run from the command line without ``--user``, every
case of the node. Erased and deleted cases are left out.

Results: the pairs of probability "possible" or more (``scoring.POSSIBLE``) are stored as
``DedupePair`` rows, with their per-field verdicts and no value compared;
``iter_pairs(run)`` gives them back as ``(case id a, case id b, PairScore)`` — what the
review queue reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import DedupePair, DedupeRun
from .scoring import POSSIBLE, FieldVerdict, PairScore

log = logging.getLogger(__name__)

RIGHT = "find_duplicates"
STALE_AFTER = dt.timedelta(hours=6)
# Set to False by tests: the run happens inside the request that starts it.
BACKGROUND = True
SAVE_BATCH = 2000


class RunRefused(Exception):
    """The run cannot start; the message says why, in French."""


def may_run(user) -> bool:
    return bool(user and user.is_authenticated and user.can(RIGHT, "system"))


def current() -> DedupeRun | None:
    """The run in progress, if any (one whose job's process died is closed as failed)."""
    run = (DedupeRun.objects.filter(status__in=[DedupeRun.Status.QUEUED, DedupeRun.Status.RUNNING],
                                    started_at__gte=timezone.now() - STALE_AFTER)
           .order_by("-started_at", "-id").first())
    if run is not None:
        from yiri.jobs.models import Job
        from yiri.jobs.services import refresh

        job = Job.objects.filter(kind="dedupe", params__run=run.pk).order_by("-id").first()
        if job is not None and refresh(job).status == Job.Status.FAILED:
            DedupeRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
                status=DedupeRun.Status.FAILED, finished_at=timezone.now(), error=job.error)
            return None
    return run


def start_run(user, *, threshold: float | None = None, spawn: bool = False) -> DedupeRun:
    """A new run over ``user``'s scope (``None``: every case of the node). With
    ``spawn`` (the page) it starts in a process of its own after the commit."""
    from .dedupe import THRESHOLD

    with transaction.atomic():
        if current() is not None:
            raise RunRefused(_("Une recherche de doublons est déjà en cours : attendez "
                               "qu'elle se termine."))
        run = DedupeRun.objects.create(
            started_by_id=getattr(user, "pk", None),
            threshold=THRESHOLD if threshold is None else threshold)
        if spawn and BACKGROUND:
            from yiri.jobs.services import enqueue

            enqueue("dedupe", {"run": run.pk}, user)
    if spawn and not BACKGROUND:
        execute(run.pk)
        run.refresh_from_db()
    return run


STEPS = {
    "reading": gettext_lazy("lecture des dossiers"),
    "blocking": gettext_lazy("choix des paires à comparer"),
    "comparing": gettext_lazy("comparaison des paires"),
    "learning": gettext_lazy("apprentissage des poids"),
    "clustering": gettext_lazy("regroupement"),
    "saving": gettext_lazy("enregistrement des paires"),
}


def run_job(job, progress) -> dict:
    """The ``dedupe`` kind of background job (``yiri.jobs``): run ``job.params["run"]``."""
    from yiri.jobs.services import JobFailed

    run_id = job.params["run"]
    execute(run_id, on_progress=lambda step, done, total: progress(
        done, total, str(STEPS.get(step, step))))
    run = DedupeRun.objects.get(pk=run_id)
    if run.status != DedupeRun.Status.DONE:
        raise JobFailed(run.error or _("La recherche de doublons n'a pas abouti."))
    return {"records": run.records, "pairs_found": run.pairs_found, "run": run.pk}


def _cases(run: DedupeRun):
    from yiri.cases.models import Case

    qs = Case.objects.alive().filter(erased=False)
    if run.started_by_id:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(pk=run.started_by_id)
        if not may_run(user):
            raise RunRefused(_("La personne qui a lancé l'analyse n'a plus le droit de "
                               "rechercher les doublons."))
        qs = Case.objects.visible_to(user).alive().filter(erased=False)
    return qs.select_related("owning_agency").order_by("pk")


def execute(run_id: int, *, on_progress: Callable[[str, int, int], None] | None = None) -> None:
    """Run the analysis of run ``run_id`` and record how far it went (also given to
    ``on_progress(step, done, total)``: the job's progress)."""
    from .dedupe import find_duplicates
    from .person import person_from_record

    def progress(step: str, done: int, total: int) -> None:
        DedupeRun.objects.filter(pk=run_id).update(step=step, done=done, total=total)
        if on_progress is not None:
            on_progress(step, done, total)

    run = DedupeRun.objects.get(pk=run_id)
    DedupeRun.objects.filter(pk=run_id).update(status=DedupeRun.Status.RUNNING)
    try:
        qs = _cases(run)
        total = qs.count()
        people = []
        for k, case in enumerate(qs.iterator(chunk_size=2000), start=1):
            people.append(person_from_record(case))
            if k % 2000 == 0:
                progress("reading", k, total)
        progress("reading", total, total)
        DedupeRun.objects.filter(pk=run_id).update(records=len(people))
        # Starts from the model the last run learnt (the defaults the first time), and
        # keeps it as it is when too few cases to learn from.
        from .scoring import current_model

        result = find_duplicates(people, model=current_model(), threshold=run.threshold,
                                 progress=progress)
        _save(run, result, progress)
    except RunRefused as exc:
        DedupeRun.objects.filter(pk=run_id).update(
            status=DedupeRun.Status.FAILED, finished_at=timezone.now(), error=str(exc))
        return
    except Exception as exc:  # noqa: BLE001 — shown on the page, never a silent failure
        log.error("Recherche de doublons %s : échec (%s)", run_id, exc.__class__.__name__)
        DedupeRun.objects.filter(pk=run_id).update(
            status=DedupeRun.Status.FAILED, finished_at=timezone.now(),
            error=_("L'analyse s'est arrêtée sur une erreur inattendue (%(kind)s). Réessayez ; "
                    "si cela se répète, prévenez l'administrateur.") % {
                        "kind": exc.__class__.__name__})
        return


def _save(run: DedupeRun, result, progress) -> None:
    import numpy as np

    keep = np.nonzero(result.probability >= POSSIBLE)[0]
    keep = keep[np.argsort(-result.probability[keep], kind="stable")]
    labels = result.clusters
    rows = []
    progress("saving", 0, len(keep))
    for n, k in enumerate(keep, start=1):
        score = result.pair_score(int(k))
        a, b = int(result.ia[k]), int(result.ib[k])
        rows.append(DedupePair(
            run_id=run.pk, record_a=result.table.people[a].key, record_b=result.table.people[b].key,
            weight=score.weight, probability=score.probability, band=score.band,
            cluster=int(labels[a]) if labels[a] == labels[b] else None,
            fields=[{"field": f.field, "level": f.level, "weight": f.weight, "detail": f.detail}
                    for f in score.fields]))
        if len(rows) >= SAVE_BATCH:
            DedupePair.objects.bulk_create(rows)
            rows = []
            progress("saving", n, len(keep))
    DedupePair.objects.bulk_create(rows)
    progress("saving", len(keep), len(keep))
    _, counts = np.unique(labels, return_counts=True)
    DedupeRun.objects.filter(pk=run.pk).update(
        status=DedupeRun.Status.DONE, finished_at=timezone.now(), step="",
        done=len(keep), total=len(keep), pairs_scored=len(result.ia), pairs_found=len(keep),
        clusters=int(np.count_nonzero(counts >= 2)), model=result.model.to_json())
    # The pairs found go to the review queue (``review.queue_run``): reviewed, merged or
    # set aside there.
    from .review import queue_run

    queue_run(DedupeRun.objects.get(pk=run.pk))


def pair_score(pair: DedupePair) -> PairScore:
    return PairScore(
        weight=pair.weight, probability=pair.probability, band=pair.band,
        fields=tuple(FieldVerdict(f["field"], f["level"], f["weight"], f["detail"])
                     for f in pair.fields),
        combination=pair.combination)


def iter_pairs(run: DedupeRun) -> Iterator[tuple[str, str, PairScore]]:
    """The pairs a run found, most probable first: ``(case id a, case id b, score)``."""
    for pair in run.pairs.order_by("-probability", "id").iterator(chunk_size=2000):
        yield str(pair.record_a), str(pair.record_b), pair_score(pair)


def visible_pairs(user, run: DedupeRun, limit: int = 200) -> list[tuple[DedupePair, object, object]]:
    """The pairs of ``run`` whose two cases ``user`` may both see, with the cases."""
    from yiri.cases.models import Case

    out = []
    chunk = 500
    offset = 0
    visible = Case.objects.visible_to(user).alive()
    while len(out) < limit:
        pairs = list(run.pairs.order_by("-probability", "id")[offset:offset + chunk])
        if not pairs:
            break
        ids = {p.record_a for p in pairs} | {p.record_b for p in pairs}
        cases = {c.pk: c for c in visible.filter(pk__in=ids)}
        for p in pairs:
            if p.record_a in cases and p.record_b in cases:
                out.append((p, cases[p.record_a], cases[p.record_b]))
                if len(out) >= limit:
                    break
        offset += chunk
    return out
