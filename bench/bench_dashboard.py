#!/usr/bin/env python
"""How long does the dashboard take on 1,000,000 cases (PostgreSQL)?

Fills the database with ``load_demo`` if it holds a different number of cases (then
``ANALYZE``), and times, for the national coordination (every case) and a relay-cell data
manager (its cell), ``dashboards.queries.dashboard`` (every indicator of the page) without
and with filters, the whole page through the test client, and the partners' indicator
tables (``dashboards.indicators.build``). Prints the median and the slowest of ``--runs``
runs, in milliseconds, and the number of queries.

    .venv/bin/python bench/bench_dashboard.py                         # 1,000,000 cases, PostgreSQL
    .venv/bin/python bench/bench_dashboard.py --cases 100000
    .venv/bin/python bench/bench_dashboard.py --database-url postgres://…/other --cases 100000
    .venv/bin/python bench/bench_dashboard.py --copies 10     # 100,000 generated, copied 10× in SQL

``--copies K`` generates ``--cases / K`` cases with ``load_demo`` and copies them K - 1 times
in SQL (PostgreSQL only; each copy with new ids and short ids, the same answers, places,
owners and dates): 1,000,000 cases in minutes instead of about an hour of ``load_demo``.
Workflow rows (approvals, referrals) and search tokens are not copied.

The database is ``yiri_bench_dash_<size>`` on the local PostgreSQL unless
``--database-url`` says otherwise (created if missing); node keys and files go under
``--data-dir`` (default /tmp/yiri-bench-dash), never in the repository.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def ensure_pg_database(url: str) -> None:
    import psycopg

    name, server = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm (schema, translations, planner)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        fn()
    return statistics.median(times), max(times), len(queries)


def copy_cases(connection, times: int) -> None:
    """Copy every case ``times`` times in SQL: new ids and short ids, every other column as
    it is (the same distribution of answers, places, owners and dates)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 'cases_case' ORDER BY ordinal_position")
        columns = [c for (c,) in cursor.fetchall()]
        chosen = ", ".join(f'"{c}"' for c in columns)
        picked = ", ".join("gen_random_uuid()" if c == "id" else
                           "short_id || '-' || %s" if c == "short_id" else f'"{c}"'
                           for c in columns)
        cursor.execute("CREATE TEMP TABLE bench_originals AS SELECT * FROM cases_case")
        for k in range(1, times + 1):
            start = time.perf_counter()
            connection.set_autocommit(True)
            cursor.execute(f"INSERT INTO cases_case ({chosen}) "  # noqa: S608  # nosec B608
                           f"SELECT {picked} FROM bench_originals", [f"c{k}"])
            print(f"  copy {k}/{times}: {time.perf_counter() - start:.0f} s", flush=True)
        cursor.execute("DROP TABLE bench_originals")


def page(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}, not the page")
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "yiri-bench-dash"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--copies", type=int, default=1,
                        help="generate cases/K with load_demo, then copy them K-1 times in SQL")
    args = parser.parse_args()
    if args.copies < 1 or args.cases % args.copies:
        parser.error("--copies must divide --cases")
    url = args.database_url or f"{PG_SERVER}/yiri_bench_dash_{label(args.cases)}"
    if url.startswith("postgres"):
        ensure_pg_database(url)
    data_dir = Path(args.data_dir) / label(args.cases)
    if data_dir.resolve().is_relative_to(REPO):
        parser.error("--data-dir must be outside the repository")
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update({"DATABASE_URL": url, "YIRI_DATA_DIR": str(data_dir), "YIRI_NODE_KIND": "national",
                       "YIRI_NODE_CODE": "BENCH", "DJANGO_SETTINGS_MODULE": "yiri.settings",
                       # The page itself, not the two-factor step a forced login stops at.
                       "YIRI_2FA": "0"})
    os.environ.pop("YIRI_DEBUG", None)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.utils import timezone

    from yiri.accounts.models import User
    from yiri.cases.models import Case
    from yiri.dashboards import indicators, queries
    from yiri.network.models import Location

    call_command("migrate", verbosity=0)
    have = Case.objects.count()
    if have != args.cases:
        print(f"{have:,} cases in the database, generating {args.cases:,}…", flush=True)
        base = args.cases // args.copies
        if args.copies > 1 and connection.vendor != "postgresql":
            parser.error("--copies needs PostgreSQL")
        if have != base:
            call_command("load_demo", cases=base, seed=args.seed, reset=have > 0, yes_really=True,
                         validate="sample" if base > 10_000 else "all", verbosity=1)
        if args.copies > 1:
            copy_cases(connection, args.copies - 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    # Static file names without collectstatic's manifest: the page's time, not its assets.
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
    national = User.objects.filter(role__code="national_coordinator", is_active=True).order_by("username").first()
    relay = User.objects.filter(role__code="relay_data_manager", is_active=True).order_by("username").first()
    partner = User.objects.filter(role__code="partner_viewer", is_active=True).order_by("username").first()
    region = Location.objects.filter(level="region").order_by("path").first()
    year_ago = timezone.localdate().replace(day=1, year=timezone.localdate().year - 1)
    memory = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            memory = f", shared_buffers {cursor.fetchone()[0]} (docs/production.md advises ≥ 1GB)"
    print(f"{Case.objects.count():,} cases, {connection.vendor}, {args.runs} runs each{memory}")
    print(f"{'what':58} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    rows = []
    for who, user in (("national", national), ("relay cell", relay)):
        if user is None:
            continue
        rows.append((f"dashboard queries, {who}, no filter",
                     lambda u=user: queries.dashboard(u, queries.Filters())))
        rows.append((f"dashboard queries, {who}, last 12 months + a region",
                     lambda u=user: queries.dashboard(u, queries.Filters(date_from=year_ago, region=region))))
        client = Client()
        client.force_login(user)
        rows.append((f"dashboard page (HTML), {who}", lambda c=client: page(c, "/dashboard/")))
    if partner is not None:
        rows.append(("partner indicators, 12 months by month",
                     lambda: indicators.build(partner, None, None, "month")))
    for name, fn in rows:
        median, worst, n = timed(fn, args.runs)
        print(f"{name:58} {median:10.0f} {worst:8.0f} {n:8}", flush=True)


if __name__ == "__main__":
    main()
