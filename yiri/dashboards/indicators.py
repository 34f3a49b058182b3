"""Indicators for partners: anonymised counts by period, region, sex, age group and concern.

What leaves here holds no name, no record id, no free text: only category labels (place
names, the form's lookup labels, age bands), periods and counts. Counts under 5 and the
counts that would let someone recompute them are suppressed (``suppression.suppress``),
across all tables at once: the region, sex and age tables share the same period totals
(each of them covers every case of the period, the unknowns included), so a total hidden
in one is hidden in all.

The concern table counts mentions (a child may have several concerns): its totals are
the sums of its own cells, not the number of children, and it is suppressed as a system
of its own.

Who counts what: a user who may view cases counts the cases they see; a user with
``view_reports`` only (the partner) counts the whole network, which is what suppression
is for.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.cases.models import Case
from yiri.lib import spreadsheet
from yiri.network.models import Location

from . import queries, suppression


@dataclass
class Table:
    code: str
    title: str
    periods: list[str]
    rows: list[tuple[str, list[int | None], int | None]]  # label, cells, row total
    totals: list[int | None]
    grand: int | None
    total_label: str


def counted_cases(user) -> QuerySet:
    if user.can("view", "case"):
        return Case.objects.visible_to(user).order_by()
    if user.can("view_reports", "system"):
        return Case.objects.filter(deleted=False).order_by()
    return Case.objects.none()


def periods(first: dt.date, last: dt.date, by: str) -> list[dt.date]:
    months = queries.month_range(first, last)
    if by == "quarter":
        return sorted({m.replace(month=3 * ((m.month - 1) // 3) + 1) for m in months})
    return months


def period_label(start: dt.date, by: str) -> str:
    if by == "quarter":
        return f"{start.year}-T{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    return first, today


def build(user, date_from: dt.date | None, date_to: dt.date | None, by: str = "month") -> list[Table]:
    """The four tables, suppressed."""
    by = "quarter" if by == "quarter" else "month"
    d_first, d_last = default_period()
    first, last = date_from or d_first, date_to or d_last
    keys = periods(first, last, by)
    trunc = TruncQuarter if by == "quarter" else TruncMonth
    qs = counted_cases(user).filter(registration_date__gte=first, registration_date__lte=last) \
        .annotate(p=trunc("registration_date"))
    today = timezone.localdate()

    def day(v) -> dt.date:
        return v.date() if isinstance(v, dt.datetime) else v

    raw: dict[str, dict[str, dict[dt.date, int]]] = {}  # table -> row -> period -> count

    def put(table, row, p, k):
        cells = raw.setdefault(table, {}).setdefault(row, {})
        cells[day(p)] = cells.get(day(p), 0) + k

    # Region (second level of the place), unknown place as its own row.
    for p, path, k in qs.values_list("p", "location_path").annotate(k=Count("id")):
        seg = [s for s in (path or "").split("/") if s]
        put("region", seg[1] if len(seg) > 1 else "", p, k)
    # Sex and age group: one grouped scan, one conditional count per category.
    sexes = queries.sex_codes()
    known_sex = [c for c, _l in sexes]
    agg = {f"sex:{c}": Count("id", filter=Q(sex=c)) for c in known_sex}
    agg["sex:"] = Count("id", filter=~Q(sex__in=known_sex))
    for key, (lo, hi) in queries.AGE_GROUPS.items():
        agg[f"age:{key}"] = Count("id", filter=queries.age_q(lo, hi, today))
    agg["age:"] = Count("id", filter=Q(date_of_birth__isnull=True) | Q(date_of_birth__gt=today)
                        | Q(date_of_birth__lte=queries.years_ago(151, today)))
    for row in qs.values("p").annotate(**agg):
        for key in agg:
            table, code = key.split(":", 1)
            put(table, code, row["p"], row[key])
    # Concerns: grouped by the "|a|b|" string (see queries.concern_counts).
    concerns = queries.concern_codes()
    known = {c for c, _l in concerns}
    for p, combo, k in qs.values_list("p", "concerns").annotate(k=Count("id")):
        for c in (combo or "").split("|"):
            if c in known:
                put("concern", c, p, k)

    region_names = dict(Location.objects.filter(code__in=[r for r in raw.get("region", {}) if r])
                        .values_list("code", "name"))
    row_orders = {
        "region": sorted((r for r in raw.get("region", {}) if r), key=lambda c: region_names.get(c, c))
        + ([""] if "" in raw.get("region", {}) else []),
        "sex": [c for c, _l in sexes] + [""],
        "age": list(queries.AGE_GROUPS) + [""],
        "concern": [c for c, _l in concerns],
    }
    labels = {
        "region": {**region_names, "": _("Lieu non renseigné")},
        "sex": {**dict(sexes), "": _("Non renseigné")},
        "age": {**{k: k.replace("-", " – ") + " " + _("ans") for k in queries.AGE_GROUPS},
                "": _("Âge inconnu")},
        "concern": dict(concerns),
    }
    titles = {"region": _("Enfants par région"), "sex": _("Enfants par sexe"),
              "age": _("Enfants par tranche d'âge"),
              "concern": _("Préoccupations de protection (mentions)")}

    values: dict = {}
    lines: dict[str, list] = {"shared": [], "concern": []}
    for table, rows in row_orders.items():
        shared = table != "concern"
        col_total = (lambda p: ("T", p)) if shared else (lambda p: ("concern", "T", p))
        grand = ("T", "all") if shared else ("concern", "G")
        for r in rows:
            for p in keys:
                values[(table, r, p)] = raw.get(table, {}).get(r, {}).get(p, 0)
            values[(table, "R", r)] = sum(values[(table, r, p)] for p in keys)
        for p in keys:
            s = sum(values[(table, r, p)] for r in rows)
            if shared and col_total(p) in values:
                assert values[col_total(p)] == s, "the tables do not cover the same cases"
            values[col_total(p)] = s
        values[grand] = sum(values[col_total(p)] for p in keys)
        lines["shared" if shared else "concern"] += suppression.grid_lines(
            rows, keys, lambda r, p, t=table: (t, r, p), lambda r, t=table: (t, "R", r), col_total, grand)
    hidden = suppression.suppress(values, lines["shared"]) | suppression.suppress(values, lines["concern"])

    def shown(k):
        return None if k in hidden else values[k]

    out = []
    for table, rows in row_orders.items():
        shared = table != "concern"
        out.append(Table(
            table, titles[table], [period_label(p, by) for p in keys],
            [(labels[table].get(r, r), [shown((table, r, p)) for p in keys], shown((table, "R", r)))
             for r in rows],
            [shown(("T", p) if shared else ("concern", "T", p)) for p in keys],
            shown(("T", "all") if shared else ("concern", "G")),
            _("Total des enfants") if shared else _("Total des mentions"),
        ))
    return out


HIDDEN = "<5"  # what a suppressed cell shows (it may hide more than 4: secondary suppression)


def _cell(v) -> str | int:
    return HIDDEN if v is None else v


def as_rows(tables: list[Table]) -> list[list]:
    """Every table one after the other, as spreadsheet rows."""
    out: list[list] = []
    for t in tables:
        out.append([t.title])
        out.append([""] + t.periods + [_("Total")])
        for label, cells, total in t.rows:
            out.append([label] + [_cell(c) for c in cells] + [_cell(total)])
        out.append([t.total_label] + [_cell(c) for c in t.totals] + [_cell(t.grand)])
        out.append([])
    out.append([_("Cellules « %(h)s » : supprimées (moins de 5 enfants, ou permettraient de recalculer "
                  "une cellule supprimée).") % {"h": HIDDEN}])
    return out


def to_csv(tables: list[Table]) -> bytes:
    buf = io.StringIO()
    writer = spreadsheet.writer(buf, delimiter=";")
    for row in as_rows(tables):
        writer.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel reads the accents


def to_xlsx(tables: list[Table]) -> bytes:
    return spreadsheet.xlsx((t.code, as_rows([t])) for t in tables)
