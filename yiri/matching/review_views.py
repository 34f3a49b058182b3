"""Pages of the duplicate review (``review_duplicates``): the queue, a pair side by side
with its decisions, undoing a merge, the questions another organisation sent, and the
live check the registration form asks for as the worker types (htmx)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases import identity
from yiri.cases.access import field_limits, readable_sections, visible_answers
from yiri.cases.models import RECORD_MODELS
from yiri.formconfig.schema import get_schema
from yiri.web.answers import format_value, location_codes, location_names
from yiri.web.pages import registration_sections

from . import review
from .check import live_check
from .merge import MergeRefused, has_right, undo_merge
from .models import MatchSource, MatchStatus, Merge

# The fields shown side by side (those of the child's identity a worker compares).
SIDE_BY_SIDE = ("name_first", "name_middle", "name_last", "name_nickname", "name_other", "sex",
                "age", "date_of_birth", "age_estimated", "nationality", "language",
                "location_current", "phone")
TRACE_FIELDS = {"sought_name_first": "name_first", "sought_name_last": "name_last",
                "sought_name_nickname": "name_nickname", "sought_sex": "sex",
                "sought_age": "age", "sought_date_of_birth": "date_of_birth",
                "sought_nationality": "nationality", "last_seen_location": "location_current"}


def _require(user) -> None:
    if not has_right(user):
        raise PermissionDenied(_("Votre rôle ne permet pas d'examiner les doublons."))


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user)
    source = request.GET.get("source") if request.GET.get("source") in MatchSource.values else None
    entries = review.queue(user, source=source)
    rows = []
    for e in entries:
        rows.append({"entry": e, "a": _label(user, e.a), "b": _label(user, e.b),
                     "a_org": _org(e.candidate, "a", e.a), "b_org": _org(e.candidate, "b", e.b)})
    return render(request, "matching/queue.html", {
        "rows": rows, "source": source, "sources": MatchSource.choices,
        "merges": Merge.objects.filter(undone=False, deleted=False).order_by("-merged_at")[:20]
        if user.can("review_duplicates", "system") else [],
    })


def _label(user, record) -> str:
    if record is None:
        return ""
    schema = get_schema(record.RECORD_TYPE)
    if identity.name_readable(readable_sections(user, schema, record), schema,
                              field_limits(user, record.RECORD_TYPE)):
        return identity.display_name(record)
    return ""


def _org(candidate, side: str, record) -> str:
    """The organisation of a side: from the record seen, else (a record the user does not
    see) its organisation only."""
    rec = record if record is not None else review.hidden_record(candidate, side)
    agency = getattr(rec, "owning_agency", None) if rec is not None else None
    return str(agency) if agency is not None else ""


def _answers_for(user, record) -> dict:
    schema = get_schema(record.RECORD_TYPE)
    return visible_answers(user, schema, identity.read_answers(record, schema), record)


def _trace_answers(user, tracing, row_id: str) -> dict:
    """The child sought of a tracing request's ``traces`` row, as a case's answers."""
    answers = _answers_for(user, tracing)
    row = next((r for r in answers.get("traces") or [] if r.get("_id") == row_id), {})
    return {case_code: row[code] for code, case_code in TRACE_FIELDS.items() if row.get(code)}


def _score(candidate, a_answers: dict | None, b_answers: dict | None):
    from .person import person_from_answers
    from .scoring import score_pair

    if a_answers is None or b_answers is None:
        return None
    return score_pair(person_from_answers(str(candidate.record_id), a_answers),
                      person_from_answers(str(candidate.other_id), b_answers))


def _level(mine, theirs) -> str:
    if mine in (None, "", []) or theirs in (None, "", []):
        return "blank"
    if isinstance(mine, list) and isinstance(theirs, list):
        return "match" if set(mine) & set(theirs) else "mismatch"
    return "match" if mine == theirs else "mismatch"


@login_required
@require_GET
def pair(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    entry = review.access_candidate(user, pk)
    c = entry.candidate
    schema = get_schema("case")
    a_answers = b_answers = None
    if entry.a is not None:
        a_answers = (_trace_answers(user, entry.a, c.trace_row) if c.trace_row
                     else _answers_for(user, entry.a))
    if entry.b is not None:
        b_answers = _answers_for(user, entry.b)
    codes = set(location_codes(schema, a_answers or {})) | set(location_codes(schema, b_answers or {}))
    places = location_names(codes)
    lines = []
    for code in SIDE_BY_SIDE:
        f = schema.fields.get(code)
        if f is None:
            continue
        mine = (a_answers or {}).get(code)
        theirs = (b_answers or {}).get(code)
        if a_answers is not None and b_answers is not None and mine in (None, "", []) \
                and theirs in (None, "", []):
            continue
        lines.append({"label": f.label,
                      "a": format_value(schema, f, mine, places) if a_answers is not None else None,
                      "b": format_value(schema, f, theirs, places) if b_answers is not None else None,
                      "level": _level(mine, theirs)})
    score = _score(c, a_answers, b_answers)
    record_event(AuditAction.VIEW, user=user, request=request, record_type=c.record_type,
                 record_id=c.record_id, part="match_pair", candidate=str(c.pk))
    return render(request, "matching/pair.html", {
        "entry": entry, "c": c, "lines": lines, "score": score,
        "a_label": _label(user, entry.a), "b_label": _label(user, entry.b),
        "a_org": _org(c, "a", entry.a), "b_org": _org(c, "b", entry.b),
        "both": entry.a is not None and entry.b is not None,
        "tracing": c.source == MatchSource.TRACING, "open": c.status in (MatchStatus.OPEN,
                                                                         MatchStatus.ASKED),
    })


@login_required
@require_POST
def decide(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    entry = review.access_candidate(user, pk)
    action = request.POST.get("action")
    back = reverse("matching_pair", args=[entry.candidate.pk])
    try:
        if action == "same":
            keep = "b" if request.POST.get("keep") == "b" else "a"
            merge = review.same_child(user, entry, keep=keep, request=request)
            messages.success(request, _("Dossiers fusionnés : %(gone)s est réuni dans %(kept)s.")
                             % {"gone": merge.merged_short_id,
                                "kept": (entry.a if keep == "a" else entry.b).short_id})
            return redirect("matching_queue")
        if action == "tracing_match":
            review.tracing_match(user, entry, request=request)
            messages.success(request, _("Correspondance confirmée."))
        elif action == "not_same":
            review.not_the_same(user, entry, request=request)
            messages.success(request, _("Paire écartée : elle ne sera plus proposée."))
        elif action == "ask":
            question = review.ask_other(user, entry, request=request)
            messages.success(request, _("Question envoyée à %(org)s.")
                             % {"org": question.to_agency or _("l'organisation concernée")})
        else:
            raise Http404
    except (review.ReviewRefused, MergeRefused) as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect("matching_queue")


@login_required
@require_POST
def undo(request: HttpRequest, merge_id) -> HttpResponse:
    user = request.user
    _require(user)
    try:
        merge = Merge.objects.get(pk=merge_id, deleted=False)
    except (Merge.DoesNotExist, ValueError):
        raise Http404 from None
    model = RECORD_MODELS.get(merge.record_type)
    if model is None or not model.objects.visible_to(user).filter(pk=merge.record_id).exists():
        raise Http404
    try:
        undo_merge(user, merge, request=request)
    except MergeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Fusion annulée : les deux dossiers sont rétablis."))
    return redirect("matching_queue")


@login_required
@require_GET
def questions(request: HttpRequest) -> HttpResponse:
    """Questions about records the user sees: which organisation asks, about which of
    the user's own records."""
    user = request.user
    if not user.can("view", "case"):
        raise Http404
    return render(request, "matching/questions.html", {"questions": review.questions_for(user)})


@login_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """The registration form's live check, as the worker types (htmx)."""
    from yiri.web.answers import parse_section

    user = request.user
    if not user.can("create", "case"):
        raise PermissionDenied
    schema = get_schema("case")
    limits = field_limits(user, "case")
    values: dict = {}
    for sec in registration_sections(schema, user):
        values.update(parse_section(sec, request.POST, limits))
    submitted = {k: v for k, v in values.items() if v not in (None, [], "")}
    result = live_check(user, submitted)
    # Each check is a search over every case of the node: audited as one (counts only).
    record_event(AuditAction.SEARCH, user=user, request=request, record_type="case",
                 kind="live_check", found=len(result.findings), outside=len(result.organisations))
    return render(request, "matching/_live_check.html", {"check": result, "confirm": True})


@login_required
@require_POST
def run_tracing(request: HttpRequest) -> HttpResponse:
    from .tracing import find_tracing_matches

    user = request.user
    _require(user)
    found = find_tracing_matches(user)
    messages.success(request, _("%(n)d correspondance(s) trouvée(s) pour les demandes de recherche.")
                     % {"n": found})
    return redirect(reverse("matching_queue") + "?source=tracing")

