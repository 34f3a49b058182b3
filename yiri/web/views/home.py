"""The home page: what this user has to do today, by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiri.audit.models import AuditEvent
from yiri.cases.models import RECORD_MODELS, Case

from .. import workflow_bridge as wf
from ..listing import case_rows


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
        "tasks": wf.tasks_for(user),
        "approvals": wf.approvals_waiting_for(user),
        "referrals": wf.referrals_waiting_for(user),
        "notifications": wf.unread_notifications(user),
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
