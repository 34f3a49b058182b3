"""The home page: what this user has to do today, by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiri.audit.models import AuditEvent
from yiri.cases.models import RECORD_MODELS, Case
from yiri.workflow import services as workflow

from ..listing import case_rows

HOME_ITEMS = 20  # per box; the lists behind them are one click away


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = Case.objects.visible_to(user).filter(owner=user).select_related("owning_agency")[:10]
    team = None
    if user.can("assign", "case"):
        team = Case.objects.visible_to(user).exclude(owner=user).select_related(
            "owner", "owning_agency")[:10]
    events = list(AuditEvent.objects.filter(user=user).order_by("-at")[:10])
    return render(request, "web/home.html", {
        "my_cases": case_rows(user, mine),
        "team_cases": case_rows(user, team) if team is not None else None,
        "tasks": workflow.tasks_for(user)[:HOME_ITEMS],
        "approvals": list(workflow.approvals_waiting_for(user)[:HOME_ITEMS]),
        "referrals": list(workflow.referrals_waiting_for(user)[:HOME_ITEMS]),
        "notifications": list(workflow.unread_notifications(user)[:HOME_ITEMS]),
        "activity": _with_short_ids(user, events),
        "can_create": user.can("create", "case"),
    })


def _with_short_ids(user, events: list[AuditEvent]) -> list[tuple[AuditEvent, str, str]]:
    """Each event with the short id of its record, when the user may still see it."""
    ids: dict[str, dict] = {}
    for rt, model in RECORD_MODELS.items():
        wanted = [e.record_id for e in events if e.record_type == rt and e.record_id]
        if wanted:
            ids[rt] = dict(model.objects.visible_to(user).filter(pk__in=wanted)
                           .values_list("pk", "short_id"))
    return [(e, ids.get(e.record_type, {}).get(e.record_id, ""), e.record_type) for e in events]
