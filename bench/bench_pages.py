"""Bytes transferred and server time of the pages a case worker opens all day.

Measures, with Django's test ``Client`` against the configured database (``DATABASE_URL``
or the office SQLite file), the home page, the case list (first page, and a filtered and
sorted page) and one case page, as seen by a real user of that database. Run it on the
large demo database:

    python manage.py load_demo --cases 100000
    python bench/bench_pages.py                 # busiest case worker, 7 runs per page
    python bench/bench_pages.py --user NAME --runs 15

"bytes" is the HTML as sent (Yiri does not compress HTML itself); "gzip" is what it
weighs if the web server in front compresses it, as a proxy on a 2G link should. The
stylesheet, script and htmx (from the django-htmx package) are static files, compressed
and cached by the browser after the first page: their size is printed once below.
Server time is the median of the runs, measured around ``Client.get`` (no network).

Measured on the 100,000-case SQLite demo database (2 cores, 7 runs):

    case worker seeing 3,366 cases   bytes    gzip    ms
    home                            10,057   2,673   511   (most of it: workflow tasks_for)
    case list                       14,287   4,050    95
    case list, filtered             14,859   4,092   293
    case page                       24,324   4,701    30
    supervisor (group scope)
    home / list / filtered / case   7,030 / 20,625 / 21,496 / 26,156 bytes; 710 / 195 / 268 / 40 ms
    static files on a first visit: 19,526 bytes compressed (htmx, stylesheet, script)
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")

import django  # noqa: E402

django.setup()

from django.contrib.staticfiles import finders  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from yiri.accounts.models import User  # noqa: E402
from yiri.cases.models import Case  # noqa: E402

BUDGET = 100_000


def busiest_case_worker() -> User:
    row = (Case.objects.filter(deleted=False, owner__role__code="case_worker", owner__is_active=True)
           .values("owner").annotate(n=Count("pk")).order_by("-n").first())
    if row is None:
        sys.exit("No case owned by an active case worker: run `manage.py load_demo` first.")
    return User.objects.get(pk=row["owner"])


def measure(client: Client, url: str, runs: int) -> tuple[int, int, float]:
    times, body = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        body = response.content
    return len(body), len(gzip.compress(body)), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", help="user name (default: the case worker with most cases)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    setup_test_environment()  # lets Client run against the configured database as is
    user = User.objects.get(username=args.user) if args.user else busiest_case_worker()
    client = Client()
    client.force_login(user)
    visible = Case.objects.visible_to(user)
    case = visible.order_by("-updated_at").first()
    print(f"Database: {Case.objects.count()} cases; user {user.username} "
          f"({user.role.code if user.role else 'no role'}) sees {visible[:100_001].count()} cases\n")
    pages = [("home", "/"), ("case list", "/cases/"),
             ("case list, filtered", "/cases/?risk=high&sex=female&age=12-14&sort=name&page=2")]
    if case is not None:
        pages.append(("case page", f"/cases/{case.pk}/"))
    print(f"{'page':<22}{'bytes':>10}{'gzip':>9}{'ms (median)':>13}  budget")
    for name, url in pages:
        size, zipped, ms = measure(client, url, args.runs)
        verdict = "ok" if size < BUDGET else "OVER"
        print(f"{name:<22}{size:>10,}{zipped:>9,}{ms:>13.1f}  {verdict}")
    static = 0
    for path in ("web/yiri.css", "web/yiri.js", "django_htmx/htmx-2.min.js"):
        found = finders.find(path)
        if found:
            data = Path(found).read_bytes()
            static += len(gzip.compress(data))
    print(f"\nStatic files, compressed, first visit only: {static:,} bytes")


if __name__ == "__main__":
    main()
