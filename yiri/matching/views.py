"""The duplicate-detection page, for the roles with ``find_duplicates`` (relay-cell data
managers, the national coordination, administrators):

- ``/doublons/``: the last runs, "Lancer la recherche de doublons" (over the cases of the
  user's scope, in the background) and the progress of the run going (htmx polls a small
  fragment; without JavaScript the page is reloaded);
- ``/doublons/<run>/``: the pairs a run found, most probable first, each with its score
  and the verdict per field (match / close / mismatch / blank). Only the pairs whose two
  cases the viewer may see are listed; the values compared are not shown here — the
  links open the cases, with the viewer's own rights. Review and merge are the review
  queue's (issue 10, item 5).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from yiri.web.templatetags.yiri_web import record_url

from . import jobs
from .models import DedupeRun

STEPS = {
    "reading": gettext_lazy("lecture des dossiers"),
    "blocking": gettext_lazy("choix des paires à comparer"),
    "comparing": gettext_lazy("comparaison des paires"),
    "learning": gettext_lazy("apprentissage des poids"),
    "clustering": gettext_lazy("regroupement"),
    "saving": gettext_lazy("enregistrement des paires"),
}


def _require_right(user) -> None:
    if not jobs.may_run(user):
        raise PermissionDenied(_("Votre rôle ne permet pas de rechercher les doublons."))


def _progress_context() -> dict:
    run = jobs.current() or DedupeRun.objects.order_by("-started_at", "-id").first()
    running = run is not None and run.status in (DedupeRun.Status.QUEUED, DedupeRun.Status.RUNNING)
    return {"run": run, "running": running,
            "step": STEPS.get(run.step, "") if run is not None else ""}


@login_required
@require_GET
def runs(request: HttpRequest) -> HttpResponse:
    _require_right(request.user)
    return render(request, "matching/runs.html", {
        "runs": DedupeRun.objects.order_by("-started_at", "-id")[:20], **_progress_context()})


@login_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    _require_right(request.user)
    return render(request, "matching/_progress.html", _progress_context())


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    _require_right(request.user)
    try:
        jobs.start_run(request.user, spawn=True)
    except jobs.RunRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recherche de doublons lancée sur les dossiers de votre "
                                    "portée."))
    return redirect("matching_runs")


@login_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_right(request.user)
    run = DedupeRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404(_("Analyse introuvable."))
    items = [{"pair": p, "a": a, "b": b, "url_a": record_url(a), "url_b": record_url(b)}
             for p, a, b in jobs.visible_pairs(request.user, run)]
    return render(request, "matching/run.html", {"run": run, "items": items})
