"""The dashboard (roles that see cases and reports) and the partners' indicators.

- ``dashboard``: ``view_reports`` and ``view`` on cases (relay-cell data managers, the
  national coordination, supervisors, administrators); counts over the cases the user
  sees; each number links to the case list behind it.
- ``indicators`` and its CSV/XLSX: ``view_reports`` (the partner's only page); suppressed
  counts, no record, no link to one.
Anyone else gets 403.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import charts, indicators, queries
from .forms import DashboardForm, IndicatorForm


def _charted(bars) -> list[tuple[str, int]]:
    """A long list (the concerns) draws only its non-zero bars; the table keeps them all."""
    items = [(b.label, b.count) for b in bars]
    return [kv for kv in items if kv[1]] if len(items) > 8 else items


def may_see_dashboard(user) -> bool:
    return user.can("view_reports", "system") and user.can("view", "case")


def may_see_indicators(user) -> bool:
    return user.can("view_reports", "system")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_see_dashboard(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès au tableau de bord."))
    form = DashboardForm(request.GET or None)
    filters = form.filters()
    data = queries.dashboard(user, filters)
    list_url = reverse("case_list")

    def href(params):
        # The case list takes the same filters (period, place, organisation, and each
        # category's), scoped as the dashboard: a number and its list hold the same cases.
        return f"{list_url}?{urlencode(params)}" if params is not None else ""

    blocks = [{
        "s": s, "chart": charts.hbar(f"c-{s.code}", s.title, _charted(s.bars)),
        "rows": [(b, href(b.params)) for b in s.bars],
    } for s in data["series"]]
    months = data["months"]
    labels = [f"{m:%m/%y}" for m, _n, _c in months]
    month_chart = charts.columns("c-months", _("Nouveaux et clôturés par mois"), labels,
                                 [(_("Nouveaux"), [n for _m, n, _c in months]),
                                  (_("Clôturés"), [c for _m, _n, c in months])])
    delays = [{"s": s, "chart": charts.hbar(f"c-{s.code}", s.title, [(b.label, b.count) for b in s.bars])}
              for s in data["delays"]]
    n = data["counts"]
    overdue = data["overdue"]
    quality = data["quality"]
    services = [(r, href(r.params) if r.params else "",
                 href({**r.params, "service_done": "on"}) if r.params else "") for r in data["services"]]
    return render(request, "dashboards/dashboard.html", {
        "form": form, "filters": filters, "n": n,
        "total_href": href(filters.list_params()),
        "open_href": href({**filters.list_params(), "status": "open"}),
        "closed_href": href({**filters.list_params(), "status": "closed"}),
        "blocks": blocks, "months": months, "month_chart": month_chart, "delays": delays,
        "referrals": data["referrals"],
        "referrals_by_service": data["referrals_by_service"],
        "referral_service_chart": charts.hbar(
            "c-ref-service", _("Orientations par type de service"),
            [(name, total) for name, total, _a in data["referrals_by_service"]]),
        "referral_chart": charts.hbar("c-ref", _("Orientations par organisation"),
                                      [(name, total) for name, total, _a in data["referrals"]]),
        "services": services,
        "services_chart": charts.hbar("c-services", _("Services par type"),
                                      [(r.label, r.planned) for r in data["services"]]),
        "overdue": overdue,
        "overdue_org": queries.Series("late_org", _("Travail en retard par organisation"), overdue.agencies),
        "overdue_worker": queries.Series("late_worker", _("Travail en retard par travailleur"), overdue.workers),
        "overdue_agencies": [(b, href(b.params)) for b in overdue.agencies],
        "overdue_workers": [(b, href(b.params)) for b in overdue.workers],
        "overdue_agency_chart": charts.hbar("c-late-org", _("Dossiers en retard par organisation"),
                                            [(b.label, b.count) for b in overdue.agencies]),
        "overdue_worker_chart": charts.hbar("c-late-worker", _("Dossiers en retard par travailleur"),
                                            [(b.label, b.count) for b in overdue.workers[:20]]),
        "no_consent_href": href(quality["no_consent_params"]),
        "missing_href": href(quality["missing_params"]),
        "caseload": data["caseload"],
        "caseload_chart": charts.hbar("c-load", _("Charge de travail"), data["caseload"]),
        "closure_reasons": data["closure_reasons"],
        "reasons_chart": charts.hbar("c-reasons", _("Motifs de clôture"), data["closure_reasons"]),
        "quality": data["quality"], "quiet_days": queries.QUIET_DAYS,
        "today": timezone.localdate(),
    })


def _indicator_tables(request):
    user = request.user
    if not may_see_indicators(user):
        raise PermissionDenied(_("Votre rôle ne donne pas accès aux indicateurs."))
    form = IndicatorForm(request.GET or None)
    d = form.cleaned_data if form.is_bound and form.is_valid() else {}
    by = d.get("by") or "month"
    tables = indicators.build(user, d.get("date_from"), d.get("date_to"), by)
    return form, tables, by


@login_required
@require_GET
def indicator_page(request: HttpRequest) -> HttpResponse:
    form, tables, by = _indicator_tables(request)
    charts_ = [charts.hbar(f"c-ind-{t.code}", t.title, [(label, total or 0) for label, _c, total in t.rows
                                                          if total is not None]) for t in tables]
    return render(request, "dashboards/indicators.html", {
        "form": form, "tables": list(zip(tables, charts_, strict=True)), "hidden": indicators.HIDDEN,
        "query": request.GET.urlencode(), "sees_cases": request.user.can("view", "case"),
    })


@login_required
@require_GET
def indicator_csv(request: HttpRequest) -> HttpResponse:
    _form, tables, by = _indicator_tables(request)
    response = HttpResponse(indicators.to_csv(tables), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="indicateurs-{timezone.localdate():%Y%m%d}.csv"'
    return response


@login_required
@require_GET
def indicator_xlsx(request: HttpRequest) -> HttpResponse:
    _form, tables, by = _indicator_tables(request)
    response = HttpResponse(
        indicators.to_xlsx(tables),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="indicateurs-{timezone.localdate():%Y%m%d}.xlsx"'
    return response
