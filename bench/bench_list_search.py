#!/usr/bin/env python
"""How fast are the case list and the name search with 100,000 and 1,000,000 cases?

For each database and size, in a child process (Django settings are per process):
migrate, fill the database with ``load_demo`` if it holds fewer cases than asked (a
different count is regenerated from scratch), ANALYZE, then time, for users of each scope
(case worker, manager, relay-cell data manager, national coordinator):

* list: ``Case.objects.visible_to(user)`` with the list page's filters
  (``web.listing.filter_cases``: stage, status, risk, concern), ordered by -updated_at,
  first page of 50 rows materialised with the columns a list shows (owner, organisation,
  place, display name), plus the list's count capped at 1,000;
* search: ``cases.search.search_cases(user, q=...)`` with varied names and spellings,
  first page of 50 ranked by ``rank_page``, plus the capped count.

Each (query, scope) runs ``--runs`` times (default 50) with varied users and parameters,
after a few warm-up runs. Times are wall-clock milliseconds in this process, database
round trips included.

    .venv/bin/python bench/bench_list_search.py                       # 100k and 1M, both DBs
    .venv/bin/python bench/bench_list_search.py --sizes 100000 --db sqlite
    .venv/bin/python bench/bench_list_search.py --sizes 1000000 --db postgres --explain
    .venv/bin/python bench/bench_list_search.py --database-url postgres://…/other --sizes 100000
    .venv/bin/python bench/bench_list_search.py --sizes 1000000 --db postgres --copies 10  # 100k × 10

Data lives under ``--data-dir`` (default ``$YIRI_BENCH_DIR`` or /tmp/yiri-bench), never in
the repository: one SQLite file and one PostgreSQL database per size
(``yiri_bench_100k``, ``yiri_bench_1m``; created if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_BASE_NAME = "yiri_bench"
PAGE = 50
COUNT_CAP = 1000
WARMUP = 3

LIST_FILTERS = [
    {"status": "open", "risk": "high"},
    {"stage": "service_provision"},
    {"status": "open"},
    {"stage": "assessment"},
    {"status": "open", "concern": "trafficked"},
    {"risk": "high"},
    {"stage": "new"},
    {},
]
# What people type: whole names, a first and a family name, other spellings, capitals,
# the first letters of a name (search as you type).
SEARCHES = [
    "ouedraogo", "Wedraogo Awa", "sawadogo", "KABORE", "jallo", "diallo aminata", "ouattara",
    "traore issouf", "Kofi", "mensah", "tchalla", "agbojan", "zongo salif", "fatoumata",
    "nikiema", "essowe", "compaore rasmane", "lamboni", "Yameogo", "kossi amavi", "oued",
    "sawa", "ilboudo boukary", "Koffi Agbodjan", "pyabalo", "kinda", "aicha", "bawa",
]


def size_label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


# --- orchestrator ------------------------------------------------------------------------


def ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def run_target(db: str, size: int, args) -> dict:
    data_dir = Path(args.data_dir) / f"{db}-{size_label(size)}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "YIRI_DATA_DIR": str(data_dir), "YIRI_NODE_KIND": "national",
           "YIRI_NODE_CODE": "BENCH", "DJANGO_SETTINGS_MODULE": "yiri.settings"}
    env.pop("YIRI_DEBUG", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        if args.database_url.startswith("postgres"):
            ensure_pg_database(args.database_url)
    elif db == "postgres":
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_BASE_NAME}_{size_label(size)}"
        ensure_pg_database(env["DATABASE_URL"])
    else:
        env.pop("DATABASE_URL", None)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    cmd = [sys.executable, __file__, "--worker", "--size", str(size), "--out", out,
           "--runs", str(args.runs), "--seed", str(args.seed), "--copies", str(args.copies)]
    if args.explain:
        cmd.append("--explain")
    if args.generate_only:
        cmd.append("--generate-only")
    cmd += ["--variant", args.variant]
    print(f"\n=== {db}, {size:,} cases ({data_dir}) ===", flush=True)
    subprocess.run(cmd, env=env, cwd=REPO, check=True)
    result = json.loads(Path(out).read_text())
    os.unlink(out)
    result["db"] = db if not args.database_url else args.database_url.rsplit("/", 1)[1]
    if args.variant != "current":
        result["db"] += f" ({args.variant})"
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def print_table(results: list[dict]) -> None:
    print("\n| database | cases | query | user scope | median ms | p95 ms | "
          "page p95 | count p95 | rows |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        for m in r["measures"]:
            total = [p + c for p, c in zip(m["page_ms"], m["count_ms"], strict=True)]
            print(f"| {r['db']} | {r['cases']:,} | {m['query']} | {m['scope']} | "
                  f"{statistics.median(total):.1f} | {pct(total, 0.95):.1f} | "
                  f"{pct(m['page_ms'], 0.95):.1f} | {pct(m['count_ms'], 0.95):.1f} | "
                  f"{statistics.median(m['rows']):.0f} |")
    for r in results:
        gen = r.get("generation")
        extra = (f"; generated in {gen['seconds']:.0f} s ({gen['rate']:.0f} cases/s)"
                 if gen else "")
        print(f"\n{r['db']} {r['cases']:,} cases: database {r['db_size_mb']:,.0f} MB{extra}. "
              f"Uncapped count (API paginator) p95: "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in r["full_count_p95"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--database-url", default=None,
                        help="benchmark this database only (SQLite file URL or PostgreSQL)")
    parser.add_argument("--data-dir", default=os.environ.get(
        "YIRI_BENCH_DIR", str(Path(tempfile.gettempdir()) / "yiri-bench")))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of one list and one search query per scope")
    parser.add_argument("--json", default=None, help="also write the raw results here")
    parser.add_argument("--variant", choices=["current", "proposed"], default="current",
                        help="proposed: the search of bench/proposals.py (see README)")
    parser.add_argument("--generate-only", action="store_true",
                        help="fill the databases, measure nothing (to run generations apart)")
    parser.add_argument("--copies", type=int, default=1,
                        help="PostgreSQL: generate size/K cases with load_demo (as many case "
                             "workers as for the full size), then copy them K-1 times, each "
                             "copy's identity sealed again under a key of its own")
    # internal: one database, one size, in a child process
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.copies < 1 or any(int(n) % args.copies for n in args.sizes.split(",")):
        parser.error("--copies must divide every size")
    if args.worker:
        worker(args)
        return
    if Path(args.data_dir).resolve().is_relative_to(REPO):
        parser.error("--data-dir must be outside the repository")
    results = []
    dbs = [args.database_url] if args.database_url else args.db.split(",")
    for size in (int(s) for s in args.sizes.split(",")):
        for db in dbs:
            results.append(run_target(db if not args.database_url else "custom", size, args))
    if not args.generate_only:
        print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


# --- worker (one database, one size) -----------------------------------------------------


def worker(args) -> None:
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yiri.cases.models import Case

    call_command("migrate", verbosity=0)
    have = Case.objects.count()
    generation = None
    state = Path(os.environ["YIRI_DATA_DIR"]) / "generation.json"
    if have != args.size:
        print(f"{have:,} cases in the database, generating {args.size:,} "
              f"(seed {args.seed})…", flush=True)
        started = time.monotonic()
        if args.copies > 1 and connection.vendor != "postgresql":
            raise SystemExit("--copies needs PostgreSQL")
        from yiri.demo.network import workers_per_agency

        call_command("load_demo", cases=args.size // args.copies, seed=args.seed, reset=have > 0,
                     yes_really=True, validate="sample" if args.size > 10_000 else "all",
                     workers_per_agency=workers_per_agency(args.size), verbosity=1)
        if args.copies > 1:
            analyse(connection)
            copy_sealed(connection, args.copies - 1)
        seconds = time.monotonic() - started
        generation = {"seconds": seconds, "rate": args.size / seconds, "copies": args.copies}
        state.write_text(json.dumps(generation))
        analyse(connection)
    elif state.exists():
        generation = json.loads(state.read_text())
    if args.generate_only:
        Path(args.out).write_text(json.dumps({"generation": generation}))
        return
    measures, full = measure(args)
    if args.explain:
        explain(args)
    result = {"cases": Case.objects.count(), "vendor": connection.vendor,
              "db_size_mb": db_size_mb(connection), "measures": measures,
              "full_count_p95": full, "generation": generation}
    Path(args.out).write_text(json.dumps(result))


def copy_sealed(connection, times: int, batch: int = 5000) -> None:
    """Copy every case ``times`` times (PostgreSQL): a new id and short id, the identity
    unsealed and sealed again for the copy's row under a data key of its own (a value
    copied as it is would not decrypt there), the name tokens copied (they are keyed by
    the node's index key, not by the record); every other column as it is — the same
    owners, organisations, places and dates, so each scope grows ``times + 1``-fold.
    The change log and the records' other tables are not copied: the list and the
    search read neither. Each name is then ``times + 1`` times as common, as it is in a
    generation of that size from the same pools of names."""
    import uuid

    from yiri.cases import identity, keys
    from yiri.cases.models import Case, NameToken

    table = Case._meta.db_table
    columns = [f.column for f in Case._meta.concrete_fields]
    picked = ", ".join("m.new_id" if c == "id" else "c.short_id || '-' || m.k" if c == "short_id"
                       else "m.blob" if c == "identity_blob" else f'c."{c}"' for c in columns)
    chosen = ", ".join(f'"{c}"' for c in columns)
    tokens = NameToken._meta.db_table
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_copy (old_id uuid, new_id uuid, k int, blob text)")
        cursor.execute(f"SELECT id, identity_blob FROM {table} ORDER BY id")  # noqa: S608  # nosec B608
        originals = cursor.fetchall()
        for start in range(0, len(originals), batch):
            part = originals[start:start + batch]
            rows = [(old, uuid.uuid4(), k) for old, _ in part for k in range(1, times + 1)]
            blobs = dict(part)
            with keys.new_records(new for _, new, _ in rows):
                with connection.cursor() as copy_cursor, copy_cursor.cursor.copy(
                        "COPY bench_copy (old_id, new_id, k, blob) FROM STDIN") as copy:
                    for old, new, k in rows:
                        values = identity.unseal(blobs[old], identity.Binding(table, old, "identity", old))
                        copy.write_row((old, new, k, identity.seal(
                            values, identity.Binding(table, new, "identity", new))))
            done = min(len(originals), start + batch)
            print(f"  sealed {done * times:,} copies  {done * times / (time.monotonic() - started):,.0f}/s",
                  flush=True)
        cursor.execute("CREATE INDEX ON bench_copy (old_id)")
        cursor.execute("ANALYZE bench_copy")
        for k in range(1, times + 1):
            step = time.monotonic()
            cursor.execute(f"INSERT INTO {table} ({chosen}) SELECT {picked} "  # noqa: S608  # nosec B608
                           f"FROM {table} c JOIN bench_copy m ON m.old_id = c.id WHERE m.k = %s", [k])
            cursor.execute(f"INSERT INTO {tokens} (record_type, record_id, token) "  # noqa: S608  # nosec B608
                           f"SELECT t.record_type, m.new_id, t.token FROM {tokens} t "
                           f"JOIN bench_copy m ON m.old_id = t.record_id "
                           f"WHERE t.record_type = 'case' AND m.k = %s", [k])
            print(f"  copy {k}/{times}: {time.monotonic() - step:.0f} s", flush=True)
        cursor.execute("DROP TABLE bench_copy")
    analyse(connection)


def analyse(connection) -> None:
    """Fresh planner statistics, as autovacuum (PostgreSQL) or ``PRAGMA optimize`` gives."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def db_size_mb(connection) -> float:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0] / 1e6
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0] / 1e6


def bench_users(rng: random.Random) -> dict[str, list]:
    from yiri.accounts.models import User

    def pick(role: str, k: int) -> list:
        users = list(User.objects.filter(role__code=role, is_active=True)
                     .select_related("role", "agency", "relay_cell").order_by("username"))
        return rng.sample(users, min(k, len(users)))

    return {
        "case worker (own)": pick("case_worker", 8),
        "manager (team)": pick("manager", 6),
        "relay cell (cell)": pick("relay_data_manager", 3),
        "national (all)": pick("national_coordinator", 1),
    }


def list_query(user, filters: dict):
    from yiri.cases.models import Case
    from yiri.web.listing import filter_cases

    qs = Case.objects.visible_to(user).select_related("owner", "owning_agency", "location")
    return filter_cases(qs, {**filters, "_user": user})


def search_query(user, q: str):
    from yiri.cases.search import search_cases

    return search_cases(user, q=q).select_related("owner", "owning_agency", "location")


def show(rows) -> int:
    """What a list row shows: number, name, age, sex, place, owner, organisation, stage."""
    from yiri.cases.identity import display_name

    shown = [(r.short_id, display_name(r), r.date_of_birth, r.sex,
              r.location.name if r.location else "", r.owner.get_full_name() if r.owner else "",
              r.owning_agency.acronym if r.owning_agency else "", r.workflow_stage, r.risk_level)
             for r in rows]
    return len(shown)


def timed_page(qs, q: str | None = None) -> tuple[float, float, int]:
    from yiri.cases.search import rank_page

    t0 = time.perf_counter()
    rows = list(qs[:PAGE])
    if q is not None:
        rows = rank_page(rows, q)
    n = show(rows)
    t1 = time.perf_counter()
    qs.order_by()[: COUNT_CAP + 1].count()
    t2 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t1) * 1000, n


def timed_search(user, q: str, variant: str) -> tuple[float, float, int]:
    """The search itself (finding and ranking the candidates), then its first page, as
    "page"; the capped count as "count"."""
    if variant != "proposed":
        t0 = time.perf_counter()
        qs = search_query(user, q)
        found = (time.perf_counter() - t0) * 1000
        page, count, n = timed_page(qs, q)
        return found + page, count, n
    from proposals import search_ids, search_page

    from yiri.cases.search import rank_page

    t0 = time.perf_counter()
    ids = search_ids(user, q, COUNT_CAP + 1)  # the capped count, too
    t1 = time.perf_counter()
    n = show(rank_page(search_page(ids, PAGE), q))
    t2 = time.perf_counter()
    return (t2 - t1) * 1000, (t1 - t0) * 1000, n


def measure(args) -> tuple[list[dict], dict[str, float]]:
    rng = random.Random(args.seed)
    users = bench_users(rng)
    measures = []
    full: dict[str, float] = {}
    for kind in ("list", "search"):
        for scope, people in users.items():
            if not people:
                continue
            page_ms, count_ms, rows = [], [], []
            for i in range(WARMUP + args.runs):
                user = people[i % len(people)]
                if kind == "list":
                    qs = list_query(user, LIST_FILTERS[i % len(LIST_FILTERS)])
                    p, c, n = timed_page(qs)
                else:
                    q = SEARCHES[(i * 7 + len(scope)) % len(SEARCHES)]
                    p, c, n = timed_search(user, q, args.variant)
                if i >= WARMUP:
                    page_ms.append(p)
                    count_ms.append(c)
                    rows.append(n)
            measures.append({"query": kind, "scope": scope, "page_ms": page_ms,
                             "count_ms": count_ms, "rows": rows})
            print(f"  {kind:<6} {scope:<20} median {statistics.median(page_ms) + statistics.median(count_ms):7.1f} ms",
                  flush=True)
        # The API's page-number paginator counts every match: how long does that take?
        national = users["national (all)"][0]
        times = []
        for i in range(10):
            qs = (list_query(national, LIST_FILTERS[i % len(LIST_FILTERS)]) if kind == "list"
                  else search_query(national, SEARCHES[i % len(SEARCHES)]))
            t0 = time.perf_counter()
            qs.order_by().count()
            times.append((time.perf_counter() - t0) * 1000)
        full[kind] = pct(times, 0.95)
    return measures, full


def explain(args) -> None:
    from django.db import connection

    rng = random.Random(args.seed)
    options = {"analyze": True, "buffers": True} if connection.vendor == "postgresql" else {}
    for scope, people in bench_users(rng).items():
        if not people:
            continue
        user = people[0]
        for title, qs in (
            (f"list {LIST_FILTERS[0]}", list_query(user, LIST_FILTERS[0])),
            ("count (capped) of that list", None),
            ("search 'ouedraogo'", search_query(user, "ouedraogo")),
        ):
            if qs is None:
                base = list_query(user, LIST_FILTERS[0]).order_by()[: COUNT_CAP + 1]
                sql, params = base.query.get_compiler(using="default").as_sql()
                with connection.cursor() as cursor:
                    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if options else "EXPLAIN QUERY PLAN "
                    cursor.execute(f"{prefix}SELECT COUNT(*) FROM ({sql}) sub", params)
                    plan = "\n".join(str(r[-1]) for r in cursor.fetchall())
            else:
                plan = qs[:PAGE].explain(**options)
            print(f"\n--- {scope}: {title} ---\n{plan}", flush=True)


if __name__ == "__main__":
    main()
