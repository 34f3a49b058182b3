"""The home page: what this user has to do or to watch today, by what their role allows.

- case work (create or edit cases: case workers, supervisors, service providers,
  administrators): tasks, approvals and referrals waiting, their cases, their team's;
- oversight (view cases without working them: relay-cell data managers, the national
  coordination): the cases they see by region and status, the latest changes, exports
  and the member organisations;
- aggregates only (reports without cases: partners): rounded counts by region and status,
  no record, no name, no link to a record.

Every link shown leads to a page the role may open (tests/web/test_home_by_role.py).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiri.accounts.models import Scope
from yiri.audit.models import AuditEvent
from yiri.cases import stats
from yiri.cases.models import RECORD_MODELS, Case, CaseStatus
from yiri.network.models import Agency
from yiri.workflow import services as workflow

from ..listing import case_rows

HOME_ITEMS = 20  # per box; the lists behind them are one click away
RECENT = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    casework = user.can("create", "case") or user.can("edit", "case")
    sees_cases = user.can("view", "case")
    events = list(AuditEvent.objects.filter(user=user).order_by("-at")[:10])
    context = {
        "casework": casework, "sees_cases": sees_cases,
        "can_create": user.can("create", "case"),
        "notifications": _notifications(user),
        "finished_jobs": _finished_jobs(user),
        "activity": _with_short_ids(user, events),
    }
    if casework:
        context.update(_casework(user))
    else:
        context.update(_overview(user, sees_cases))
    return render(request, "web/home.html", context)


def _casework(user) -> dict:
    mine = Case.objects.visible_to(user).filter(owner=user).select_related("owning_agency")[:10]
    team = None
    if user.can("assign", "case"):
        team = Case.objects.visible_to(user).exclude(owner=user).select_related(
            "owner", "owning_agency")[:10]
    return {
        "my_cases": case_rows(user, mine),
        "team_cases": case_rows(user, team) if team is not None else None,
        "tasks": workflow.tasks_for(user, limit=HOME_ITEMS),
        "approvals": list(workflow.approvals_waiting_for(user)[:HOME_ITEMS]),
        "referrals": list(workflow.referrals_waiting_for(user)[:HOME_ITEMS]),
    }


def _overview(user, sees_cases: bool) -> dict:
    statuses = [(s.value, s.label) for s in CaseStatus]
    regions = stats.counts_by_region(user)
    context = {
        "overview": bool(regions) or sees_cases or user.can("view_reports", "system"),
        "statuses": statuses, "coarse": stats.counts_are_coarse(user), "small": stats.SMALL_COUNT,
        "region_rows": [(r, [r.by_status[s] for s, _label in statuses]) for r in regions],
        "can_export": sees_cases and user.can("export", "case"),
    }
    if sees_cases:
        recent = (Case.objects.visible_to(user).select_related("owning_agency")
                  .order_by("-updated_at", "pk")[:RECENT])
        context["recent_cases"] = case_rows(user, recent)
        context["organisations"] = _organisations(user)
    return context


def _organisations(user) -> list[Agency] | None:
    """The member organisations the user looks after: the cell's, or all of them."""
    if user.scope == Scope.ALL:
        qs = Agency.objects.filter(deleted=False)
    elif user.scope == Scope.CELL and user.relay_cell_id:
        qs = user.relay_cell.members.filter(deleted=False)
    else:
        return None
    return list(qs.select_related("country").order_by("name")[:200])


def _finished_jobs(user) -> list[tuple]:
    """The person's background jobs (exports…) that ended since she last looked: the
    notice that a job is done (its page shows the file and, once, its password)."""
    from yiri.jobs.models import Job
    from yiri.jobs.services import label_of

    jobs = Job.objects.filter(owner=user, seen_at__isnull=True,
                              status__in=[Job.Status.DONE, Job.Status.FAILED])[:HOME_ITEMS]
    return [(job, label_of(job)) for job in jobs]


def _notifications(user) -> list[tuple]:
    """Unread notifications, each with whether its case may still be opened (a finished
    referral ends the recipient's access: its notification stays, without a link)."""
    notes = list(workflow.unread_notifications(user)[:HOME_ITEMS])
    wanted = {n.case_id for n in notes if n.case_id}
    visible = set(Case.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True)) \
        if wanted else set()
    return [(n, n.case_id in visible) for n in notes]


def _with_short_ids(user, events: list[AuditEvent]) -> list[tuple[AuditEvent, str, str]]:
    """Each event with the short id of its record, when the user may still see it."""
    ids: dict[str, dict] = {}
    for rt, model in RECORD_MODELS.items():
        wanted = [e.record_id for e in events if e.record_type == rt and e.record_id]
        if wanted:
            ids[rt] = dict(model.objects.visible_to(user).filter(pk__in=wanted)
                           .values_list("pk", "short_id"))
    return [(e, ids.get(e.record_type, {}).get(e.record_id, ""), e.record_type) for e in events]
