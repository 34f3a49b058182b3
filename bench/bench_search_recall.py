#!/usr/bin/env python
"""Search recall on generated West African child records (issue 10).

Generates ``--records`` labelled records (``yiri.matching.generator``: skewed name
frequencies, siblings, re-registrations with other spellings, typos, short forms, swapped
names, blank fields), registers them as cases through the write path in a fresh database,
then searches every record that has a true duplicate by its given and family names as
written on it, as a worker would type them, with ``search_cases`` (national scope; names only, then
with the sex, age and a parent's name written on the record, then with its place too) and,
for comparison, with the search before issue 10 (``recall.legacy_search``). Prints, for
each: the share of searches where another record of the same child is in the first 10
results, found at all, searches with no result, and the median and p90 number of results.

    .venv/bin/python bench/bench_search_recall.py                      # 20,000 records, SQLite
    .venv/bin/python bench/bench_search_recall.py --records 2000 --searches 500
    .venv/bin/python bench/bench_search_recall.py --database-url postgres://…/yiri_recall
    .venv/bin/python bench/bench_search_recall.py --reuse --breakdown   # search the last run's data
    .venv/bin/python bench/bench_search_recall.py --reuse --modes place --no-legacy   # one mode

Targets (issue 10): ≥ 95 % in the top 10, a median under 10 results. Data lives under
``--data-dir`` (default /tmp/yiri-bench-recall), never in the repository; the database is
rebuilt at every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--searches", type=int, default=None,
                        help="search only the first N records that have a duplicate")
    parser.add_argument("--no-legacy", action="store_true", help="skip the old search")
    parser.add_argument("--modes", default="names,details,place",
                        help="which searches to measure, comma-separated: names (given and "
                        "family names only), details (names + sex, age, a parent), place "
                        "(details + the place); default all three")
    parser.add_argument("--data-dir", default=os.environ.get("YIRI_BENCH_DIR", "/tmp/yiri-bench-recall"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="search the database a previous run with the same --records and "
                        "--seed left in --data-dir (SQLite), instead of registering again")
    parser.add_argument("--breakdown", action="store_true",
                        help="also print recall by variant kind and by how common the name is")
    args = parser.parse_args()

    data_dir = Path(args.data_dir)
    marker = data_dir / "bench-search-recall.json"
    reuse = (args.reuse and not args.database_url and marker.exists()
             and json.loads(marker.read_text()).get("records") == [args.records, args.seed])
    if not reuse:
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
    os.environ.update({"YIRI_DATA_DIR": str(data_dir), "YIRI_NODE_KIND": "national",
                       "YIRI_NODE_CODE": "BENCH", "DJANGO_SETTINGS_MODULE": "yiri.settings"})
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        reset_pg(args.database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yiri.accounts.models import Role, User
    from yiri.cases.models import Case
    from yiri.cases.search import search_cases
    from yiri.matching import recall
    from yiri.matching.generator import generate
    from yiri.network.models import Agency, Location
    from yiri.network.reference import seed_reference_data

    started = time.monotonic()
    rows = generate(args.records, seed=args.seed)
    if reuse:
        national = User.objects.get(username="bench-national")
        saved = json.loads(marker.read_text())["ids"]
        ids = {rid: uuid.UUID(pk) for rid, pk in saved.items()}
        print(f"{len(rows):,} records reused from {data_dir}", flush=True)
    else:
        call_command("migrate", verbosity=0)
        seed_reference_data()
        bf = Location.objects.get(code="BF")
        agency = Agency.objects.create(code="BENCH", name="Bench", acronym="BEN", country=bf)
        roles = {r.code: r for r in Role.objects.all()}
        worker = User.objects.create_user("bench-worker", password="x" * 20,
                                          role=roles["case_worker"], agency=agency)
        national = User.objects.create_user("bench-national", password="x" * 20,
                                            role=roles["national_coordinator"])
        ids = recall.register(rows, worker)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        marker.write_text(json.dumps({"records": [args.records, args.seed],
                                      "ids": {rid: str(pk) for rid, pk in ids.items()}}))
        print(f"{len(rows):,} records registered in {time.monotonic() - started:.0f} s "
              f"({connection.vendor}); visible to the national user: "
              f"{Case.objects.visible_to(national).count():,}", flush=True)

    modes = set(args.modes.split(","))
    if "names" in modes:
        started = time.monotonic()
        new = recall.measure(rows, ids, lambda row: list(
            search_cases(national, q=recall.typed(row)).values_list("pk", flat=True)), limit=args.searches)
        seconds = time.monotonic() - started
        print(f"search (issue 10), names only: {new}; {1000 * seconds / max(1, new.searches):.1f} ms "
              "per search", flush=True)
        if args.breakdown:
            print(new.breakdown(), flush=True)

    def with_details(row: dict, place: bool = False) -> list:
        """The names, and what the worker also knows of the child on this record: the sex,
        the age (as one value, age_min = age_max, as the search page's prefill does) and a
        parent's name; with ``place``, the place too (the village or commune code)."""
        extra = {}
        if place and row["place"]:
            extra["location"] = row["place"]
        if row["sex"] in ("male", "female"):
            extra["sex"] = row["sex"]
        if row["birth_year"]:
            age = recall.TODAY.year - int(row["birth_year"])
            extra["age_min"] = extra["age_max"] = max(0, age)
        parent = row["mother"] or row["father"]
        return list(search_cases(national, q=recall.typed(row), parent=parent or None, **extra)
                    .values_list("pk", flat=True))

    if "details" in modes:
        started = time.monotonic()
        detailed = recall.measure(rows, ids, with_details, limit=args.searches)
        seconds = time.monotonic() - started
        print(f"search (issue 10), names + sex, age, a parent: {detailed}; "
              f"{1000 * seconds / max(1, detailed.searches):.1f} ms per search", flush=True)
        if args.breakdown:
            print(detailed.breakdown(), flush=True)
    if "place" in modes:
        started = time.monotonic()
        placed = recall.measure(rows, ids, lambda row: with_details(row, place=True),
                                limit=args.searches)
        seconds = time.monotonic() - started
        print(f"search (issue 10), names + sex, age, a parent, the place: {placed}; "
              f"{1000 * seconds / max(1, placed.searches):.1f} ms per search", flush=True)
        if args.breakdown:
            print(placed.breakdown(), flush=True)
    if not args.no_legacy:
        started = time.monotonic()
        old = recall.measure(rows, ids, lambda row: recall.legacy_search(
            Case.objects.visible_to(national), recall.typed(row)), limit=args.searches)
        seconds = time.monotonic() - started
        print(f"search before issue 10: {old}; {1000 * seconds / max(1, old.searches):.1f} ms per search")


def reset_pg(url: str) -> None:
    import psycopg

    name, server = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
