"""Record pages: list, registration, the record page with its editable sections and
subform rows, and the change history. Cases, incidents and tracing requests share them."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiri.audit.models import AuditAction, AuditEvent
from yiri.audit.services import record_event
from yiri.cases import identity
from yiri.cases.access import access_record, field_limits, readable_sections, rights_for
from yiri.cases.identity import display_name, name_readable
from yiri.cases.models import RECORD_MODELS, Case, Incident, TracingRequest
from yiri.cases.notes import flagged_ids
from yiri.cases.services import (
    EditConflict,
    StaleRecord,
    answers_from_case,
    assign_record,
    create_record,
    set_record_meta,
    update_record,
)
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import AnswersInvalid
from yiri.matching.check import confirmed, live_check, queue_findings
from yiri.matching.merge import alternates_for, has_right
from yiri.matching.models import MatchQuestion
from yiri.sync import clock as node_clock
from yiri.sync.conflicts import count_visible_conflicts
from yiri.sync.models import Operation
from yiri.workflow import services as workflow

from .. import listing
from ..answers import (
    format_value,
    is_uuid,
    location_codes,
    location_names,
    parse_row,
    parse_section,
    widgets,
)
from ..pages import (
    SLUG_OF,
    age_of,
    field_history,
    flags_panel,
    notes_panel,
    record_sections,
    registration_sections,
)
from . import erasures as erasure_views
from . import workflow as workflow_views


def _model(record_type: str):
    return RECORD_MODELS[record_type]


def record_url(record) -> str:
    return reverse(f"{SLUG_OF[record.RECORD_TYPE]}_record", args=[record.pk])


def _is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


# ---------------------------------------------------------------- lists


@login_required
@require_GET
def record_list(request: HttpRequest, record_type: str) -> HttpResponse:
    user = request.user
    if not user.can("view", record_type):
        raise Http404
    if record_type == "case":
        return _case_list(request)
    qs = _model(record_type).objects.visible_to(user).select_related("owner")
    case_id = request.GET.get("case")
    if case_id and is_uuid(case_id):
        qs = qs.filter(case_id=case_id)
    page, total, more = _page(request, qs.order_by("-updated_at", "pk"))
    schema = get_schema(record_type)
    names = bool(readable_sections(user, schema))
    flagged = flagged_ids(record_type, [r.pk for r in page])  # one query for the page
    rows = [(r, display_name(r) if names else "", r.pk in flagged) for r in page]
    return render(request, "web/record_list.html", {
        "record_type": record_type, "slug": SLUG_OF[record_type], "rows": rows,
        "total": total, "more": more, "title": _model(record_type)._meta.verbose_name_plural,
        "can_create": user.can("create", record_type), **_paging(request, len(page)),
    })


def _page(request, qs):
    """One page of ``qs`` and a count capped at ``COUNT_CAP`` (never count a million)."""
    number = _page_number(request)
    start = (number - 1) * listing.PAGE_SIZE
    page = list(qs[start:start + listing.PAGE_SIZE])
    total = qs[:listing.COUNT_CAP + 1].count()
    return page, min(total, listing.COUNT_CAP), total > listing.COUNT_CAP


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        return 1


def _paging(request, shown: int) -> dict:
    number = _page_number(request)
    params = request.GET.copy()
    params.pop("page", None)
    base = params.urlencode()
    return {
        "page_number": number, "has_prev": number > 1, "has_next": shown == listing.PAGE_SIZE,
        "query_base": base, "first_index": (number - 1) * listing.PAGE_SIZE + 1,
        "last_index": (number - 1) * listing.PAGE_SIZE + shown,
    }


def _case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = listing.CaseFilterForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = Case.objects.visible_to(user).select_related("owner", "owning_agency", "location")
    qs = listing.filter_cases(qs, {**data, "_user": user})
    sort_notice = ""
    by_name = listing.sorted_by_name(user, qs) if data.get("sort") == "name" else None
    if by_name is not None:
        start = (_page_number(request) - 1) * listing.PAGE_SIZE
        page, total, more = by_name[start:start + listing.PAGE_SIZE], len(by_name), False
    else:
        if data.get("sort") == "name":
            sort_notice = _("Plus de %(n)d dossiers : ils ne peuvent pas être triés par nom (les noms "
                            "sont chiffrés). Affinez les filtres pour les trier par nom ; ils sont "
                            "affichés du plus récemment modifié au plus ancien.") % {
                                "n": listing.NAME_SORT_LIMIT}
        page, total, more = _page(request, qs)
    can_assign = user.can("assign", "case")
    return render(request, "web/case_list.html", {
        "form": form, "rows": listing.case_rows(user, page), "total": total, "more": more,
        "sort_notice": sort_notice,
        "can_assign": can_assign, "assignees": _assignees(user) if can_assign else [],
        "can_create": user.can("create", "case"), "can_export": user.can("export", "case"),
        "export_query": request.GET.urlencode(), **_paging(request, len(page)),
    })


@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    """The former address of the export: to the export page (``jobs/views.py``), which
    writes the filtered list into an encrypted archive, for roles with the export right."""
    user = request.user
    if not user.can("view", "case"):
        raise Http404
    if not user.can("export", "case"):
        raise PermissionDenied(_("Votre rôle ne permet pas d'exporter."))
    query = request.GET.urlencode()
    return redirect(reverse("case_export_start") + (f"?{query}" if query else ""))


def _assignees(user):
    """The people a supervisor may hand a case to: active users of the same agency."""
    qs = get_user_model().objects.filter(is_active=True, role__isnull=False)
    if user.agency_id and not user.is_superuser:
        qs = qs.filter(agency_id=user.agency_id)
    return [u for u in qs.select_related("role").order_by("username")[:200] if u.can("view", "case")]


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.can("view", "case"):
        raise Http404
    back = request.POST.get("next") if _safe_next(request) else reverse("case_list")
    ids = [i for i in request.POST.getlist("cases") if is_uuid(i)][: listing.PAGE_SIZE]
    if not ids:
        messages.error(request, _("Cochez au moins un dossier."))
        return redirect(back)
    assignee = _assignee(user, request.POST.get("assignee"))
    cases = [access_record(user, Case, pk, "assign") for pk in ids]
    for case in cases:
        assign_record(user, case, assignee, request=request)
    messages.success(request, _("%(n)d dossier(s) attribué(s) à %(who)s.")
                     % {"n": len(cases), "who": assignee})
    return redirect(back)


def _assignee(user, pk):
    if not pk or not is_uuid(pk):
        raise Http404
    for candidate in _assignees(user):
        if str(candidate.pk) == pk:
            return candidate
    raise Http404


def _safe_next(request) -> bool:
    nxt = request.POST.get("next") or ""
    return nxt.startswith("/") and not nxt.startswith("//")


@login_required
@require_POST
def assign(request: HttpRequest, pk) -> HttpResponse:
    user = request.user
    case = access_record(user, Case, pk, "assign")
    assignee = _assignee(user, request.POST.get("assignee"))
    assign_record(user, case, assignee, request=request)
    messages.success(request, _("Dossier attribué à %(who)s.") % {"who": assignee})
    return redirect(record_url(case))


# ---------------------------------------------------------------- registration


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, record_type: str) -> HttpResponse:
    """New record. A child is registered only from the search page (search before
    create): the search form posts what was searched for, which prefills this form."""
    user = request.user
    if not user.can("create", record_type):
        raise PermissionDenied(_("Votre rôle ne permet pas d'enregistrer ce type de dossier."))
    schema = get_schema(record_type)
    sections = registration_sections(schema, user)
    limits = field_limits(user, record_type)
    link = _linked_case(user, request.POST.get("case") or request.GET.get("case"))
    if request.method == "GET" and record_type == "case":
        messages.info(request, _("Cherchez d'abord si l'enfant est déjà enregistré."))
        return redirect("search")
    values: dict = {}
    errors: dict = {}
    check = None
    if request.method == "POST" and request.POST.get("step") == "save":
        for sec in sections:
            values.update(parse_section(sec, request.POST, limits))
        submitted = {k: v for k, v in values.items() if v not in (None, [], "")}
        if link is not None:
            # What the form does not show (a tracing request's child sought) comes from
            # the case it is registered from.
            shown_codes = {f.code for sec in sections for f in sec.fields}
            for code, value in answers_from_case(user, record_type, link).items():
                if code not in shown_codes:
                    submitted.setdefault(code, value)
        # The live check (``matching.check``): likely duplicates shown before saving; a
        # second "Enregistrer" after seeing them saves, and the pairs go to review.
        check = live_check(user, submitted) if record_type == "case" else None
        if check:
            record_event(AuditAction.SEARCH, user=user, request=request, record_type="case",
                         kind="live_check", found=len(check.findings),
                         outside=len(check.organisations))
        if check is not None and not confirmed(check, request.POST.get("dup_seen")):
            pass
        else:
            try:
                record = create_record(user, record_type, submitted, request=request)
            except AnswersInvalid as exc:
                errors = exc.errors
            else:
                if link is not None:
                    set_record_meta(user, record, "link_case", AuditAction.UPDATE, request, case_id=link.pk)
                if check:
                    queue_findings(user, record, check)
                messages.success(request, _("Dossier %(id)s enregistré.") % {"id": record.short_id})
                return redirect(record_url(record))
    elif request.method == "POST":
        values = _prefill(schema, request.POST)
    elif link is not None:
        values = answers_from_case(user, record_type, link)
    places = location_names(location_codes(schema, values))
    blocks = [(sec, widgets(schema, sec.fields, values, errors=errors, places=places,
                            limits=limits))
              for sec in sections]
    shown = {w.code for _s, ws in blocks for w in ws}
    return render(request, "web/register.html", {
        "record_type": record_type, "slug": SLUG_OF[record_type], "blocks": blocks,
        "top_errors": [m for k, v in errors.items() if k not in shown for m in v],
        "has_errors": bool(errors), "link": link, "check": check,
        "live_check": record_type == "case",
        "title": _("Enregistrer un nouvel enfant") if record_type == "case"
        else _("Nouveau : %(what)s") % {"what": _model(record_type)._meta.verbose_name},
    }, status=422 if errors else 200)


PREFILL_FIELDS = ("name_first", "name_last", "sex", "age", "phone", "location_current")


def _prefill(schema, post) -> dict:
    """Answers to start from, taken from the search the user just ran (posted, never in a URL)."""
    out = {}
    for code in PREFILL_FIELDS:
        value = (post.get(f"prefill_{code}") or "").strip()
        if value and code in schema.fields:
            out[code] = value
    return out


def _linked_case(user, pk):
    if not pk:
        return None
    return access_record(user, Case, pk)


# ---------------------------------------------------------------- record page


def _header(user, record) -> dict:
    schema = get_schema(record.RECORD_TYPE)
    readable = readable_sections(user, schema, record)
    rights = rights_for(user, record)
    return {
        "record": record, "record_type": record.RECORD_TYPE, "slug": SLUG_OF[record.RECORD_TYPE],
        "name": display_name(record) if name_readable(readable, schema,
                                                      field_limits(user, schema.record_type)) else "",
        "age": age_of(record), "is_case": isinstance(record, Case),
        "can_edit": rights.can("edit"), "read_only": not rights.is_open,
        "can_see_trail": user.can("view_audit", "system") and rights.full,
        "via_share": not rights.full,
        "stage_steps": workflow_views.stage_steps(record) if isinstance(record, Case) else None,
    }


def page_context(user, record, *, edit: str | None = None,
                 row_edit: tuple[str, str] | None = None, show_all_notes: bool = False,
                 attachment_errors: dict | None = None,
                 wf_error: workflow_views.FormError | None = None, **panels: dict) -> dict:
    """Everything the record page shows. ``panels`` replace a part built with what the
    user just posted and was refused (``notes=notes_panel(...)``, ``flags=...``);
    ``attachment_errors`` are the messages of a file just refused, by field; ``wf_error``
    is a refused workflow action, shown beside its form."""
    schema = get_schema(record.RECORD_TYPE)
    _answers, sections = record_sections(user, record, schema, edit=edit, row_edit=row_edit,
                                         attachment_errors=attachment_errors)
    context = {**_header(user, record), "sections": sections, "schema": schema,
               "conflict_count": count_visible_conflicts(user, record=record)}
    context.update(erasure_views.panel(user, record))
    if isinstance(record, Case):
        context.update(workflow_views.case_panel(user, record, wf_error))
        context["incidents"] = Incident.objects.visible_to(user).filter(case=record)[:20]
        context["tracing_requests"] = TracingRequest.objects.visible_to(user).filter(case=record)[:20]
        context["can_create_incident"] = user.can("create", "incident")
        context["can_create_tracing"] = user.can("create", "tracing_request")
        if rights_for(user, record).can("assign"):
            context["assignees"] = _assignees(user)
    elif record.case_id:
        context["linked_case"] = Case.objects.visible_to(user).filter(pk=record.case_id).first()
    context["merged_values"] = merged_panel(user, record, schema)
    context["match_questions"] = list(
        MatchQuestion.objects.filter(record_id=record.pk, deleted=False)
        .select_related("from_agency", "asked_by").order_by("-asked_at")[:20])
    context.update(panels.get("notes") or notes_panel(user, record, show_all=show_all_notes))
    context.update(panels.get("flags") or flags_panel(user, record))
    return context


@login_required
@require_GET
def record_page(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    user = request.user
    record = access_record(user, _model(record_type), pk)
    context = page_context(user, record, edit=request.GET.get("edit") or None,
                           row_edit=_row_param(request.GET.get("row")),
                           show_all_notes=request.GET.get("notes") == "all")
    record_event(AuditAction.VIEW, user=user, request=request, record_type=record_type,
                 record_id=record.pk)
    return render(request, "web/record.html", context)


def _row_param(value: str | None) -> tuple[str, str] | None:
    if not value or ":" not in value:
        return None
    sub, row = value.split(":", 1)
    if row != "new" and not is_uuid(row):
        return None
    return sub, row


def merged_panel(user, record, schema) -> list[dict]:
    """The records merged into this one (``matching.merge``) and their values that differ
    from this record's (kept beside them, for the fields the user may read), each with the
    "annuler la fusion" button for a reviewer."""
    out = []
    places = None
    for item in alternates_for(user, record):
        if places is None:
            places = location_names(location_codes(schema, item["values"]))
        values = [(schema.fields[c].label, format_value(schema, schema.fields[c], v, places))
                  for c, v in item["values"].items() if c in schema.fields]
        out.append({"short_id": item["short_id"], "merge": item["merge"], "values": values,
                    "can_undo": has_right(user) and rights_for(user, record).full})
    return out


def _edit_check(user, record, schema, code: str, values: dict):
    """The live check of an edit of a case's names (``matching.check``), or ``None`` when
    the section saved holds no name."""
    if not isinstance(record, Case) or "name_first" not in schema.fields \
            or schema.fields["name_first"].section != code:
        return None
    merged = {**identity.read_answers(record, schema), **values}
    return live_check(user, merged, exclude=record)


def _section_response(request, user, record, code: str, status: int = 200,
                      extra: dict | None = None, **kw) -> HttpResponse:
    schema = get_schema(record.RECORD_TYPE)
    _answers, sections = record_sections(user, record, schema, only=code, **kw)
    if not sections:
        raise Http404
    context = {**_header(user, record), "sec": sections[0], **(extra or {})}
    if _is_htmx(request):
        # A save may change what the header shows (stage, risk, urgency, consent, status):
        # its facts are sent again and swapped in out of band.
        context["oob_facts"] = request.method == "POST"
        # htmx swaps only 2xx answers: a refused save comes back as 200 with its messages.
        return render(request, "web/_section.html", context)
    _answers, every = record_sections(user, record, schema, **kw)
    full = {**_header(user, record), "sections": every, "schema": schema, **(extra or {}),
            **notes_panel(user, record), **flags_panel(user, record)}
    if isinstance(record, Case):
        full.update(workflow_views.case_panel(user, record))
    return render(request, "web/record.html", full, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def section(request: HttpRequest, record_type: str, pk, code: str) -> HttpResponse:
    """GET: the section (``?edit=1`` as a form, ``?row=<subform>:<id|new>`` with one row
    as a form). POST: save the section's plain fields."""
    user = request.user
    record = access_record(user, _model(record_type), pk)
    schema = get_schema(record_type)
    sec = schema.sections.get(code)
    if sec is None or sec.is_subform or code not in readable_sections(user, schema, record):
        raise Http404
    if request.method == "GET":
        edit = code if request.GET.get("edit") else None
        return _section_response(request, user, record, code, edit=edit,
                                 row_edit=_row_param(request.GET.get("row")))
    values = parse_section(sec, request.POST, field_limits(user, record_type))
    check = _edit_check(user, record, schema, code, values)
    if check is not None and not confirmed(check, request.POST.get("dup_seen")):
        return _section_response(request, user, record, code, status=422, edit=code,
                                 values=values, extra={"check": check},
                                 messages=[_("Cet enfant est peut-être déjà enregistré : "
                                             "vérifiez avant d'enregistrer.")])
    try:
        _save(request, record, values, code)
    except (AnswersInvalid, StaleRecord, PermissionDenied) as exc:
        errors, msgs = _refusal(exc)
        record = _reread(record)
        extra = {}
        if isinstance(exc, EditConflict):
            values, extra = _after_conflict(user, record, schema, exc, values, errors)
        return _section_response(request, user, record, code, status=422, edit=code,
                                 values=values, errors=errors, messages=msgs, **extra)
    record.refresh_from_db()
    if check:
        queue_findings(user, record, check)
    if _is_htmx(request):
        return _section_response(request, user, record, code)
    messages.success(request, _("Section « %(name)s » enregistrée.") % {"name": sec.name})
    return redirect(record_url(record) + f"#sec-{code}")


@login_required
@require_POST
def row(request: HttpRequest, record_type: str, pk, code: str, subform: str) -> HttpResponse:
    """Add, change or remove one row of a subform (services, family, follow-ups…)."""
    user = request.user
    record = access_record(user, _model(record_type), pk)
    schema = get_schema(record_type)
    f = schema.fields.get(subform)
    if f is None or f.type != FieldType.SUBFORM or f.section != code:
        raise Http404
    if code not in readable_sections(user, schema, record):
        raise Http404
    if not field_limits(user, record_type).shows(subform):
        raise Http404
    answers = parse_row(schema, f, request.POST, field_limits(user, record_type))
    row_id = request.POST.get("_id") or "new"
    try:
        _save(request, record, answers, code)
    except (AnswersInvalid, StaleRecord, PermissionDenied) as exc:
        errors, msgs = _refusal(exc)
        record = _reread(record)
        row_values, extra = answers[subform][0], {}
        if isinstance(exc, EditConflict):
            answers, extra = _after_conflict(user, record, schema, exc, answers, errors)
            row_values = answers[subform][0]
        return _section_response(request, user, record, code, status=422,
                                 row_edit=(subform, row_id), row_values=row_values,
                                 errors=errors, messages=msgs, **extra)
    record.refresh_from_db()
    if _is_htmx(request):
        return _section_response(request, user, record, code)
    messages.success(request, _("Ligne enregistrée."))
    return redirect(record_url(record) + f"#sec-{code}")


def _save(request, record, answers: dict, code: str) -> None:
    """Save one section's answers as a three-way merge from the stamps the form was read
    at; a case then moves to the stage its answers reach (the workflow's
    ``refresh_stage``, as its contract asks of the UI)."""
    user = request.user
    record = update_record(user, record, answers, section=code, request=request,
                           base_stamps=_stamps(request))
    if isinstance(record, Case) and rights_for(user, record).can("edit"):
        workflow.refresh_stage(user, record, request=request)


def _stamps(request) -> dict:
    """The stamps the form was read at. A form without them (a page from before this
    version) counts as read before anything was written: every field it changes that
    someone has written becomes a conflict to look at, never a silent overwrite."""
    try:
        stamps = json.loads(request.POST.get("stamps") or "{}")
    except ValueError:
        stamps = {}
    return stamps if isinstance(stamps, dict) else {}


def _reread(record):
    """The record as stored now, with no rights cached from before the refused save."""
    return type(record).objects.get(pk=record.pk)


def _refusal(exc) -> tuple[dict, list[str]]:
    if isinstance(exc, AnswersInvalid):
        return exc.errors, [_("Certaines réponses sont à corriger : rien n'a été enregistré.")]
    if isinstance(exc, EditConflict):
        return {}, [str(exc.args[0])]
    return {}, [str(exc.args[0]) if exc.args else _("Modification refusée.")]


def _after_conflict(user, record, schema, exc: EditConflict, posted: dict,
                    errors: dict) -> tuple[dict, dict]:
    """The form to show after a refused merge: what the user typed, except fields they
    left alone that someone else changed (shown as stored now); next to each clashing
    field both values and who made the other change. The form carries the stamps of now
    for those fields, so saving again keeps the user's value knowingly."""
    current = identity.read_answers(record, schema)
    kept = set(exc.kept)
    values = {}
    for code, value in posted.items():
        f = schema.fields.get(code)
        if f is not None and f.type == FieldType.SUBFORM:
            rows = []
            for r in value or []:
                stored = next((c for c in current.get(code) or [] if c.get("_id") == r["_id"]), {})
                rows.append({k: (stored.get(k) if f"{code}/{r['_id']}/{k}" in kept else v)
                             for k, v in r.items()})
            values[code] = rows
        else:
            values[code] = current.get(code) if code in kept else value
    authors = _authors_of(record, {c.their_stamp for c in exc.conflicts})
    places = location_names(location_codes(schema, current))
    stamps = dict(exc.stamps)
    for c in exc.conflicts:
        parts = c.path.split("/")
        top = schema.fields[parts[0]]
        f = schema.subform_fields(top).get(parts[2]) if len(parts) == 3 else top
        key = f"{parts[0]}.0.{parts[2]}" if len(parts) == 3 else c.path
        theirs = format_value(schema, f, c.theirs, places) or _("(vide)")
        mine = format_value(schema, f, c.mine, places) or _("(vide)")
        errors.setdefault(key, []).append(
            _("Modifié entre-temps par %(who)s : « %(theirs)s ». Votre saisie : « %(mine)s ». "
              "Enregistrez de nouveau pour garder votre saisie, ou remettez l'autre valeur.")
            % {"who": authors.get(c.their_stamp) or _("quelqu'un d'autre"), "theirs": theirs,
               "mine": mine})
    return values, {"stamps": stamps}


def _authors_of(record, stamps: set) -> dict:
    wanted = [n for n in (node_clock.parse(s) for s in stamps) if n is not None]
    ops = Operation.objects.filter(entity_id=record.pk, hlc__in=wanted)
    by_id = {str(op.hlc): op.author_id for op in ops}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=set(by_id.values()) - {None})}
    return {hlc: (users[a].get_full_name() or users[a].username) if a in users else ""
            for hlc, a in by_id.items()}


def may_see_trail(user, record) -> bool:
    """Who saw and changed a record: for those whose role has ``view_audit`` (supervisors,
    the national coordination, administrators) and who hold the record in their own
    scope — not through a referral or a transfer."""
    return user.can("view_audit", "system") and rights_for(user, record).full


@login_required
@require_GET
def audit_trail(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    user = request.user
    record = access_record(user, _model(record_type), pk)
    if not may_see_trail(user, record):
        raise PermissionDenied(_("Votre rôle ne permet pas de voir qui a consulté ce dossier."))
    events = list(AuditEvent.objects.filter(record_id=record.pk).select_related("user")
                  .order_by("-seq")[:500])
    return render(request, "web/audit_trail.html", {**_header(user, record), "events": events})


@login_required
@require_GET
def history(request: HttpRequest, record_type: str, pk) -> HttpResponse:
    user = request.user
    record = access_record(user, _model(record_type), pk)
    schema = get_schema(record_type)
    field_code = request.GET.get("field") or None
    if field_code and field_code not in schema.fields:
        field_code = None
    readable = set(readable_sections(user, schema, record))
    section = request.GET.get("section") if request.GET.get("section") in readable else None
    limits = field_limits(user, record_type)
    if field_code and not limits.shows(field_code):
        field_code = None
    fields = [(c, f.label) for c, f in schema.fields.items()
              if f.section in readable and limits.shows(c)]
    return render(request, "web/history.html", {
        **_header(user, record), "fields": fields, "field_code": field_code,
        "changes": field_history(user, record, schema, field_code, section),
        "section": schema.sections[section] if section else None,
    })

