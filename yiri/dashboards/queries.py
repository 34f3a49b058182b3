"""The dashboard's indicators: aggregate queries over the cases a user may count.

Every figure is computed by the database (``values().annotate(Count)`` or one conditional
``Count`` per category inside a single ``aggregate``), never by a loop over records: the
counts by stage, risk, sex, age, source of identification, consent, missing answers and
status come out of one scan of the filtered cases, the groupings by place, concerns,
services and (organisation, worker) out of another on PostgreSQL (``grouped_rows``).
Python loops only over the groups the database returned (places, concern and service combinations, organisations, workers),
never over cases. What lives in the answers (services, due dates, the source of
identification, missing required answers) is read from columns the write path derives
(``cases.columns.dashboard_columns``).

Who counts what (as ``cases.stats``): a user who may view cases counts the cases they see
(``Case.objects.visible_to``); a user with ``view_reports`` but no case right (the
partner) does not come here (``indicators`` is their page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.cases.models import Case, CaseStatus, RiskLevel, WorkflowStage
from yiri.formconfig.schema import get_schema
from yiri.network.models import Agency, Location
from yiri.web.listing import overdue_q
from yiri.workflow.models import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    Referral,
    ReferralKind,
    ReferralStatus,
)

# The case list's age groups (web.listing.AGE_GROUPS), so that a bar links to its list.
AGE_GROUPS = {"0-5": (0, 5), "6-11": (6, 11), "12-14": (12, 14), "15-17": (15, 17), "18+": (18, 150)}
# Days from registration to a decision or to closure: "within N days" bands, then "more".
DELAY_BANDS = (7, 30, 90, 180)
CLOSURE_BANDS = (30, 90, 180, 365)
# Open cases per worker, the usual CPIMS+ bands.
CASELOAD_BANDS = ((0, 10), (11, 20), (21, 30), (31, None))
QUIET_DAYS = 7  # an office not heard from for longer is shown in data quality


@dataclass
class Filters:
    date_from: dt.date | None = None  # registration date, inclusive
    date_to: dt.date | None = None
    region: Location | None = None  # the place and everything under it
    agency: Agency | None = None

    @property
    def has_period(self) -> bool:
        return bool(self.date_from or self.date_to)

    def list_params(self) -> dict[str, str]:
        """The case-list filters matching these (``web.listing.CaseFilterForm``)."""
        out = {}
        if self.date_from:
            out["registered_from"] = self.date_from.isoformat()
        if self.date_to:
            out["registered_to"] = self.date_to.isoformat()
        if self.region is not None:
            out["location"] = self.region.code
        if self.agency is not None:
            out["agency"] = str(self.agency.pk)
        return out


@dataclass
class Bar:
    key: str
    label: str
    count: int
    params: dict[str, str] | None = None  # case-list filters behind the number, if any


@dataclass
class Series:
    code: str
    title: str
    bars: list[Bar] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bars)


def years_ago(years: int, today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def age_q(low: int, high: int, today: dt.date) -> Q:
    """Aged ``low`` to ``high`` completed years today (as ``cases.search.filter_records``)."""
    return Q(date_of_birth__lte=years_ago(low, today), date_of_birth__gt=years_ago(high + 1, today))


def scoped_cases(user, filters: Filters) -> QuerySet:
    qs = Case.objects.visible_to(user)
    if filters.date_from:
        qs = qs.filter(registration_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(registration_date__lte=filters.date_to)
    if filters.region is not None:
        qs = qs.filter(location_path__startswith=filters.region.path)
    if filters.agency is not None:
        qs = qs.filter(owning_agency=filters.agency)
    return qs.order_by()


def _lookup(code: str):
    return get_schema("case").lookups.get(code)


def concern_codes() -> list[tuple[str, str]]:
    """The form's protection concerns, trafficking first (then the lookup's order)."""
    lookup = _lookup("protection_concern")
    labels = lookup.labels() if lookup else []
    return sorted(labels, key=lambda kv: kv[0] != "trafficked")


def sex_codes() -> list[tuple[str, str]]:
    return lookup_codes("sex")


def lookup_codes(code: str) -> list[tuple[str, str]]:
    lookup = _lookup(code)
    return lookup.labels() if lookup else []


def dashboard(user, filters: Filters) -> dict:
    """Every indicator of the dashboard for ``user`` under ``filters``."""
    qs = scoped_cases(user, filters)
    today = timezone.localdate()
    concerns = concern_codes()
    sexes = sex_codes()
    # One scan: the categorical counts, each a conditional Count.
    agg = {"total": Count("id"),
           "open": Count("id", filter=Q(status=CaseStatus.OPEN)),
           "closed": Count("id", filter=Q(status=CaseStatus.CLOSED)),
           "no_consent": Count("id", filter=Q(consent_for_services=False)),
           "missing": Count("id", filter=Q(missing_required__gt=0))}
    for code, _label in WorkflowStage.choices:
        agg[f"stage:{code}"] = Count("id", filter=Q(workflow_stage=code))
    for code, _label in RiskLevel.choices:
        agg[f"risk:{code}"] = Count("id", filter=Q(risk_level=code))
    agg["risk:"] = Count("id", filter=Q(risk_level=""))
    for code, _label in sexes:
        agg[f"sex:{code}"] = Count("id", filter=Q(sex=code))
    agg["sex:"] = Count("id", filter=~Q(sex__in=[c for c, _l in sexes]))
    sources = lookup_codes("identified_by")
    for code, _label in sources:
        agg[f"source:{code}"] = Count("id", filter=Q(identified_by=code))
    agg["source:"] = Count("id", filter=~Q(identified_by__in=[c for c, _l in sources]))
    for key, (low, high) in AGE_GROUPS.items():
        agg[f"age:{key}"] = Count("id", filter=age_q(low, high, today))
    agg["age:"] = Count("id", filter=Q(date_of_birth__isnull=True) | Q(date_of_birth__gt=today)
                       | Q(date_of_birth__lte=years_ago(151, today)))
    months = month_range(*month_window(filters, today))
    for m in months:
        nxt = month_range(m, m + dt.timedelta(days=31))[1]
        agg[f"new:{m}"] = Count("id", filter=Q(registration_date__gte=m, registration_date__lt=nxt))
        agg[f"closed:{m}"] = Count("id", filter=Q(closure_date__gte=m, closure_date__lt=nxt))
    closure = _band_aggregates(CLOSURE_BANDS, "closure")
    agg.update(closure)
    n = qs.alias(closure=ExpressionWrapper(F("closure_date") - F("registration_date"),
                                           output_field=DurationField())).aggregate(**agg)
    groups = grouped_rows(qs)
    n.update(concern_counts(groups.concerns, [c for c, _l in concerns]))
    agencies, loads, overdue = by_agency_and_worker(groups.agency_owner, filters)
    base = filters.list_params()

    def bars(prefix: str, items, param: str, *, unknown: str | None = None) -> list[Bar]:
        out = [Bar(code, str(label), n[f"{prefix}:{code}"], {**base, param: code})
               for code, label in items]
        if unknown is not None and n.get(f"{prefix}:"):
            out.append(Bar("", unknown, n[f"{prefix}:"]))
        return out

    series = [
        Series("stage", _("Dossiers par étape"), bars("stage", WorkflowStage.choices, "stage")),
        Series("risk", _("Dossiers par niveau de risque"),
               bars("risk", RiskLevel.choices, "risk", unknown=_("Non évalué"))),
        Series("concern", _("Dossiers par préoccupation de protection"),
               bars("concern", concerns, "concern", unknown=_("Aucune préoccupation indiquée")),
               _("Un dossier peut avoir plusieurs préoccupations : le total dépasse le nombre de dossiers.")),
        Series("sex", _("Dossiers par sexe"), bars("sex", sexes, "sex", unknown=_("Non renseigné"))),
        Series("age", _("Dossiers par tranche d'âge"),
               bars("age", [(k, k.replace("-", " – ") + " " + _("ans")) for k in AGE_GROUPS], "age",
                    unknown=_("Âge inconnu"))),
        by_place(groups.places, filters),
        agencies,
        Series("source", _("Dossiers par source d'identification"),
               bars("source", sources, "identified_by", unknown=_("Non renseignée"))),
    ]
    return {
        "counts": n, "series": series,
        "months": [(m, n[f"new:{m}"], n[f"closed:{m}"]) for m in months],
        "delays": [
            delay_series(qs, ApprovalKind.ASSESSMENT, _("Délai entre l'enregistrement et l'évaluation approuvée")),
            delay_series(qs, ApprovalKind.CASE_PLAN, _("Délai entre l'enregistrement et le plan approuvé")),
            Series("closure_delay", _("Délai entre l'enregistrement et la clôture"),
                   [Bar(str(i), label, n[key]) for i, (label, key) in enumerate(_band_labels(CLOSURE_BANDS, "closure"))]),
        ],
        "referrals": referrals(qs),
        "referrals_by_service": referrals_by_service(qs),
        "services": services(groups.services, filters),
        "caseload": loads,
        "overdue": overdue,
        "closure_reasons": closure_reasons(qs),
        "quality": quality(user, qs, n, filters),
    }


@dataclass
class Groups:
    """The counted cases grouped four ways (each a list of tuples, the count last)."""

    places: list  # (location_path, count)
    concerns: list  # (concerns, count)
    services: list  # (services, count), cases with a service only
    agency_owner: list  # (owning agency id, owner id, count, open, open and overdue)


def grouped_rows(qs: QuerySet) -> Groups:
    """The four groupings of the dashboard. On PostgreSQL one scan computes them all
    (``GROUPING SETS``: at 1,000,000 cases one read of the covering index instead of
    four, bench/README.md); elsewhere (SQLite has no grouping sets) four grouped queries."""
    if qs.query.is_empty():  # a user who may count nothing
        return Groups([], [], [], [])
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return Groups(
            places=list(qs.values_list("location_path").annotate(k=Count("id"))),
            concerns=list(qs.values_list("concerns").annotate(k=Count("id"))),
            services=list(qs.exclude(services="").values_list("services").annotate(k=Count("id"))),
            agency_owner=list(qs.values_list("owning_agency", "owner").annotate(
                k=Count("id"), o=Count("id", filter=Q(status=CaseStatus.OPEN)),
                late=Count("id", filter=overdue_q()))))
    return _grouping_sets(connection, qs, overdue_q())


def _grouping_sets(connection, qs: QuerySet, late: Q) -> Groups:
    inner = qs.annotate(
        is_open=ExpressionWrapper(Q(status=CaseStatus.OPEN), output_field=BooleanField()),
        is_late=ExpressionWrapper(late, output_field=BooleanField()),
    ).values("location_path", "concerns", "services", "owning_agency_id", "owner_id",
             "is_open", "is_late")
    sql, params = inner.query.sql_with_params()
    # Columns named by us, the inner query compiled by Django (its values bound).
    query = (
        "SELECT GROUPING(location_path, concerns, services, owning_agency_id, owner_id), "  # nosec B608
        "location_path, concerns, services, owning_agency_id, owner_id, COUNT(*), "
        "COUNT(*) FILTER (WHERE is_open), COUNT(*) FILTER (WHERE is_late) "
        f"FROM ({sql}) AS counted GROUP BY GROUPING SETS "
        "((location_path), (concerns), (services), (owning_agency_id, owner_id))")
    out = Groups([], [], [], [])
    with transaction.atomic(using=qs.db), connection.cursor() as cursor:
        # A few thousand groups in all, hashed in memory rather than four sorts on disk
        # (the default 4 MB makes PostgreSQL sort), for this statement only: the setting
        # in force before is put back (an enclosing transaction goes on with it).
        cursor.execute("SHOW work_mem")
        before = cursor.fetchone()[0]
        cursor.execute("SET LOCAL work_mem = '64MB'")
        try:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        finally:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [before])
    # GROUPING(...) is a bit mask, highest bit first: a bit set is a column not grouped.
    for g, path, concerns, services, agency, owner, k, still_open, overdue in rows:
        if g == 0b01111:
            out.places.append((path, k))
        elif g == 0b10111:
            out.concerns.append((concerns, k))
        elif g == 0b11011:
            if services:
                out.services.append((services, k))
        elif g == 0b11100:
            out.agency_owner.append((agency, owner, k, still_open, overdue))
    return out


def concern_counts(rows: list, codes: list[str]) -> dict[str, int]:
    """Cases per protection concern (``concern:<code>``; ``concern:`` for none given).

    Grouped by the ``|a|b|`` string, then each group's count added to each of its concerns:
    the loop runs over the distinct combinations the database returns (a few dozen to a
    few thousand), not over cases. One conditional ``COUNT`` per concern would test each
    case's string once per concern of the form (23 substring searches a case: 174 ms of a
    290 ms scan at 100,000 cases on PostgreSQL, against 29 ms grouped; bench/README.md).
    """
    out = {f"concern:{c}": 0 for c in codes}
    out["concern:"] = 0
    known = set(codes)
    for combo, k in rows:
        given = [c for c in (combo or "").split("|") if c]
        if not given:
            out["concern:"] += k
        for c in given:
            if c in known:
                out[f"concern:{c}"] += k
    return out


def _segments(path: str) -> list[str]:
    return [p for p in (path or "").split("/") if p]


def by_place(rows: list, filters: Filters) -> Series:
    """Cases by region (or by the level under the chosen place), from the counts per path
    (``grouped_rows``), folded by the place one level down."""
    depth = len(_segments(filters.region.path)) if filters.region is not None else 1
    counts: dict[str, int] = {}
    above: dict[str, int] = {}  # recorded at a level above the breakdown (a country, the place chosen)
    for path, k in rows:
        seg = _segments(path)
        if len(seg) > depth:
            counts[seg[depth]] = counts.get(seg[depth], 0) + k
        elif seg:
            above[seg[-1]] = above.get(seg[-1], 0) + k
        else:
            counts[""] = counts.get("", 0) + k
    names = dict(Location.objects.filter(code__in=[c for c in (*counts, *above) if c])
                 .values_list("code", "name"))
    base = filters.list_params()
    out = [Bar(c, names.get(c, c), k, {**base, "location": c})
           for c, k in sorted(counts.items(), key=lambda ck: (-ck[1], names.get(ck[0], ck[0]))) if c]
    # No link: the list of a place holds everything under it, not only what sits at it.
    out += [Bar(c, _("%(place)s (sans précision)") % {"place": names.get(c, c)}, k)
            for c, k in sorted(above.items(), key=lambda ck: (-ck[1], ck[0]))]
    if counts.get(""):
        out.append(Bar("", _("Lieu non renseigné"), counts[""]))
    title = _("Dossiers par région") if filters.region is None else \
        _("Dossiers par lieu dans : %(place)s") % {"place": filters.region.name}
    return Series("place", title, out)


@dataclass
class Overdue:
    """Open cases with work overdue (``web.listing.overdue_q``), per worker and per
    organisation, each with the case-list filters behind it."""

    workers: list[Bar] = field(default_factory=list)
    agencies: list[Bar] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(b.count for b in self.agencies)


def by_agency_and_worker(rows: list, filters: Filters) -> tuple[Series, list[tuple[str, int]], Overdue]:
    """Cases by organisation, workers by open caseload, and open cases with work overdue
    per worker and per organisation, from the counts per (organisation, owner)
    (``grouped_rows``), folded over those pairs (as many as there are workers)."""
    per_agency: dict = {}
    late_agency: dict = {}
    late_owner: dict = {}
    loads: list[int] = []
    for agency, owner, k, still_open, late in rows:
        per_agency[agency] = per_agency.get(agency, 0) + k
        if owner is not None and still_open:
            loads.append(still_open)
        if late:
            late_agency[agency] = late_agency.get(agency, 0) + late
            late_owner[(owner, agency)] = late
    overdue = overdue_bars(late_agency, late_owner, filters)
    names = _agency_names(per_agency)
    base = filters.list_params()
    out = [Bar(str(pk), names.get(pk, str(pk)), k, {**base, "agency": str(pk)})
           for pk, k in sorted(((a, k) for a, k in per_agency.items() if a is not None),
                               key=lambda ak: (-ak[1], names.get(ak[0], "")))]
    if per_agency.get(None):
        out.append(Bar("", _("Sans organisation"), per_agency[None]))
    return Series("agency", _("Dossiers par organisation"), out), caseload_bands(loads), overdue


def _agency_names(pks) -> dict:
    return {pk: acronym or name for pk, acronym, name in Agency.objects.filter(
        pk__in=[a for a in pks if a is not None]).values_list("pk", "acronym", "name")}


def overdue_bars(late_agency: dict, late_owner: dict, filters: Filters) -> Overdue:
    """Workers are named (``username``, their display name): they are staff, not children."""
    from django.contrib.auth import get_user_model

    names = _agency_names(late_agency)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=[o for o, _a in late_owner if o])}
    base = {**filters.list_params(), "overdue": "on"}
    agencies = [Bar(str(a or ""), names.get(a, _("Sans organisation")), k,
                    {**base, "agency": str(a)} if a is not None else None)
                for a, k in sorted(late_agency.items(), key=lambda ak: (-ak[1], names.get(ak[0], "")))]
    workers = []
    for (owner, agency), k in sorted(late_owner.items(), key=lambda ok: -ok[1]):
        user = users.get(owner)
        label = str(user) if user is not None else _("Sans responsable")
        if agency is not None and len({a for o, a in late_owner if o == owner}) > 1:
            label += f" ({names.get(agency, '')})"
        params = {**base, "owner": str(owner)} if user is not None else None
        if params is not None and agency is not None:
            params["agency"] = str(agency)
        workers.append(Bar(str(owner or ""), label, k, params))
    return Overdue(workers, agencies)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], first.replace(day=1)
    while d <= last:
        out.append(d)
        d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def month_window(filters: Filters, today: dt.date) -> tuple[dt.date, dt.date]:
    """The months shown: those of the period asked, or the last twelve. New cases are
    counted by registration date, closed ones by closure date (among the cases counted)."""
    last = filters.date_to or today
    if filters.date_from:
        return filters.date_from.replace(day=1), last
    months = last.year * 12 + last.month - 1 - 11  # eleven months before the last one
    return dt.date(months // 12, months % 12 + 1, 1), last


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _band_aggregates(bands, alias: str, key: str = "id") -> dict:
    """Conditional counts of rows whose duration ``alias`` falls in each band of days."""
    agg, low = {}, None
    for high in bands:
        q = Q(**{f"{alias}__lte": dt.timedelta(days=high)})
        if low is not None:
            q &= Q(**{f"{alias}__gt": dt.timedelta(days=low)})
        agg[f"{alias}:{high}"] = Count(key, filter=q)
        low = high
    agg[f"{alias}:more"] = Count(key, filter=Q(**{f"{alias}__gt": dt.timedelta(days=bands[-1])}))
    return agg


def _band_labels(bands, alias: str) -> list[tuple[str, str]]:
    out, low = [], None
    for high in bands:
        label = _("%(n)s jours ou moins") % {"n": high} if low is None else \
            _("%(a)s à %(b)s jours") % {"a": low + 1, "b": high}
        out.append((label, f"{alias}:{high}"))
        low = high
    out.append((_("plus de %(n)s jours") % {"n": bands[-1]}, f"{alias}:more"))
    return out


def delay_series(qs: QuerySet, kind: str, title: str) -> Series:
    """Days from registration to the first approval of ``kind`` granted, per case."""
    firsts = (Approval.objects.filter(case__in=qs.values("pk"), kind=kind,
                                      status=ApprovalStatus.APPROVED, decided_at__isnull=False,
                                      case__registration_date__isnull=False)
              .values("case").annotate(first=Min(TruncDate("decided_at")))
              .order_by())
    n = firsts.alias(delay=ExpressionWrapper(F("first") - F("case__registration_date"),
                                             output_field=DurationField())) \
        .aggregate(**_band_aggregates(DELAY_BANDS, "delay", key="case"))
    return Series(f"delay_{kind}", title,
                  [Bar(str(i), label, n[key]) for i, (label, key) in enumerate(_band_labels(DELAY_BANDS, "delay"))])


def referrals(qs: QuerySet) -> list[tuple[str, int, int]]:
    """Referrals of the counted cases by receiving organisation: made and accepted
    (accepted or done). The service type lives in the case's answers (the services
    subform), not in a column, so referrals are counted by organisation."""
    rows = (Referral.objects.filter(case__in=qs.values("pk"), kind=ReferralKind.REFERRAL)
            .values_list("to_agency__acronym", "to_agency__name")
            .annotate(total=Count("id"), accepted=Count("id", filter=Q(
                status__in=[ReferralStatus.ACCEPTED, ReferralStatus.DONE])))
            .order_by("-total", "to_agency__name"))
    return [(acronym or name, total, accepted) for acronym, name, total, accepted in rows]


def referrals_by_service(qs: QuerySet) -> list[tuple[str, int, int]]:
    """Referrals of the counted cases by the type of the service referred (the case's
    ``services`` row the referral names), made and accepted (accepted or done); those
    naming no row are counted as such.

    The type is an answer in the row (the case's non-identifying answers, ``data``), not
    a column of the referral: one grouped query joins each referral to its row in the
    JSON, in each database's own JSON functions (Django's ORM has no join on the elements
    of a JSON array). The database does the counting, never a Python loop over records.
    """
    from django.db import connection

    referral_table = Referral._meta.db_table
    case_table = Case._meta.db_table
    scope_sql, scope_params = qs.order_by().values("pk").query.sql_with_params()
    accepted = [ReferralStatus.ACCEPTED.value, ReferralStatus.DONE.value]
    if connection.vendor == "postgresql":
        row_type = """(SELECT s.value ->> 'service_type'
                          FROM jsonb_array_elements(CASE jsonb_typeof(c.data -> 'services')
                                                   WHEN 'array' THEN c.data -> 'services'
                                                   ELSE '[]'::jsonb END) AS s(value)
                         WHERE s.value ->> '_id' = r.service_row_id::text LIMIT 1)"""
    else:  # SQLite keeps a UUIDField as 32 hex digits, the answers with their hyphens
        row_type = """(SELECT json_extract(s.value, '$.service_type')
                          FROM json_each(CASE json_type(c.data, '$.services')
                                         WHEN 'array' THEN json_extract(c.data, '$.services')
                                         ELSE '[]' END) AS s
                         WHERE replace(json_extract(s.value, '$._id'), '-', '') = r.service_row_id
                         LIMIT 1)"""
    # Table names from the models, the row's subquery above, values as parameters.
    sql = ("SELECT kind, COUNT(*), SUM(CASE WHEN status IN (%s, %s) THEN 1 ELSE 0 END) FROM "  # nosec B608
           f"(SELECT CASE WHEN r.service_row_id IS NULL THEN '-' ELSE COALESCE({row_type}, '?') END "  # nosec B608
           f"AS kind, r.status AS status FROM {referral_table} r JOIN {case_table} c ON c.id = r.case_id "  # nosec B608
           f"WHERE r.kind = %s AND r.case_id IN ({scope_sql})) AS t GROUP BY kind")  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*accepted, ReferralKind.REFERRAL.value, *scope_params])
        found = cursor.fetchall()
    labels = dict(lookup_codes("service_type"))
    names = {"-": _("Sans ligne de service"), "?": _("Type non indiqué")}
    order = list(labels)
    found.sort(key=lambda row: (-row[1], order.index(row[0]) if row[0] in order else 99))
    return [(labels.get(kind) or names.get(kind, kind), int(total), int(done or 0))
            for kind, total, done in found]


def caseload_bands(loads: list[int]) -> list[tuple[str, int]]:
    """Workers by number of open cases, in the usual bands (a worker with none is not
    counted: the bands describe the people carrying cases). A worker whose open cases
    belong to two organisations counts once per organisation."""
    out = []
    for low, high in CASELOAD_BANDS:
        label = f"{max(low, 1)}–{high}" if high is not None else _("plus de %(n)s") % {"n": low - 1}
        out.append((label, sum(1 for k in loads if k >= max(low, 1) and (high is None or k <= high))))
    return out


def closure_reasons(qs: QuerySet) -> list[tuple[str, int]]:
    """Closed cases by the reason given in their approved closure request."""
    lookup = _lookup("closure_reason")
    rows = (Approval.objects.filter(case__in=qs.filter(status=CaseStatus.CLOSED).values("pk"),
                                    kind=ApprovalKind.CLOSURE, status=ApprovalStatus.APPROVED)
            .values_list("closure_reason").annotate(k=Count("case", distinct=True)).order_by("-k"))
    return [((lookup.label(r) if lookup and r else r) or _("Non indiqué"), k) for r, k in rows]


@dataclass
class ServiceRow:
    code: str
    label: str
    planned: int  # service rows of this type
    implemented: int  # of which implemented
    cases: int  # cases with at least one
    params: dict[str, str]  # the cases with one (add service_done for those implemented)
    cases_done: int = 0


def services(grouped: list, filters: Filters) -> list[ServiceRow]:
    """Services of the counted cases by type: how many were planned (service rows), how
    many implemented, and how many cases have one. Grouped by the ``|type+|type-|``
    column (``Case.services``) and folded over its distinct values, as the concerns."""
    labels = dict(lookup_codes("service_type"))
    rows: dict[str, list[int]] = {}
    for combo, k in grouped:
        seen: set[str] = set()
        done: set[str] = set()
        for token in (t for t in combo.split("|") if t):
            code, mark = token[:-1], token[-1]
            r = rows.setdefault(code, [0, 0, 0, 0])
            r[0] += k
            seen.add(code)
            if mark == "+":
                r[1] += k
                done.add(code)
        for code in seen:
            rows[code][2] += k
        for code in done:
            rows[code][3] += k
    base = filters.list_params()
    order = list(labels)
    return [ServiceRow(code, labels.get(code, code if code != "?" else _("Type non indiqué")),
                       r[0], r[1], r[2], {**base, "service": code} if code in labels else {}, r[3])
            for code, r in sorted(rows.items(), key=lambda cr: (-cr[1][0], order.index(cr[0])
                                                                 if cr[0] in order else 99))]


def suspected_duplicates(user, qs: QuerySet) -> int | None:
    """Pairs of the latest finished duplicate search (``matching.DedupePair``) not yet
    reviewed (no "same child" or "not the same child" decision), with both children seen
    by the user and at least one of them counted; None if no search has run."""
    from django.db.models import Exists, OuterRef

    from yiri.matching.models import DedupePair, DedupeRun, MatchCandidate, MatchStatus, NotSamePair

    run = DedupeRun.objects.filter(status=DedupeRun.Status.DONE).order_by("-finished_at", "-id").first()
    if run is None:
        return None
    seen = Case.objects.visible_to(user).order_by().values("pk")
    counted = qs.values("pk")

    def either_way(model, **extra):
        return Exists(model.objects.filter(
            Q(record_id=OuterRef("record_a"), other_id=OuterRef("record_b"))
            | Q(record_id=OuterRef("record_b"), other_id=OuterRef("record_a")), **extra))

    return (DedupePair.objects.filter(run=run, record_a__in=seen, record_b__in=seen)
            .filter(Q(record_a__in=counted) | Q(record_b__in=counted))
            .exclude(either_way(MatchCandidate, deleted=False,
                                status__in=[MatchStatus.SAME, MatchStatus.NOT_SAME]))
            .exclude(either_way(NotSamePair, deleted=False))
            .count())


def quality(user, qs: QuerySet, n: dict, filters: Filters) -> dict:
    from yiri.matching.merge import has_right as reviews_duplicates
    from yiri.sync.conflicts import count_visible_conflicts
    from yiri.sync.models import Peer

    base = filters.list_params()
    out = {"no_consent": n["no_consent"], "no_consent_params": {**base, "consent": "no"},
           "missing": n["missing"], "missing_params": {**base, "missing": "on"},
           "duplicates": suspected_duplicates(user, qs), "reviews_duplicates": reviews_duplicates(user),
           "conflicts": None, "quiet_offices": None}
    if user.can("resolve_conflicts", "system") or user.can("view", "case"):
        out["conflicts"] = count_visible_conflicts(user)
    if user.can("view_sync", "system"):
        since = timezone.now() - dt.timedelta(days=QUIET_DAYS)
        out["quiet_offices"] = Peer.objects.filter(revoked=False).filter(
            Q(last_contact__lt=since) | Q(last_contact__isnull=True)).count()
    return out
