#!/usr/bin/env python
"""What does encryption at rest cost? (issue 9, item 9)

For each mode — ``plain`` (the codec swapped for one that writes JSON as it is, as before
encryption) and ``encrypted`` (``cases.identity.Codec``: XChaCha20-Poly1305 under per-record
keys) — in a child process with its own data folder and SQLite database (or PostgreSQL with
``--database-url``):

* fill: ``load_demo --cases N`` (every case, note and operation written through the
  services, so through the codec): cases per second;
* write: ``--writes`` case updates through ``update_record`` (an identifying and a plain
  answer changed): milliseconds per write;
* list: the list page's filtered query, first page of 50 with the display names decrypted
  (``bench_list_search.list_query``/``timed_page``), over several users and filters;
* search: a name search, first page of 50 ranked and shown (``search_query``);
* in the encrypted mode only, rotation: ``keys.rotate`` (every record key re-wrapped under
  a new master key) over all N cases, then ``keys rotate --data``'s work (a new key per
  record, every sealed value — identities, notes, change log… — re-encrypted and written
  back, ``cases.reencrypt``).

Prints medians and p95 in milliseconds. No assertion: figures to read.

    .venv/bin/python bench/bench_crypto.py                 # 100,000 cases per mode
    .venv/bin/python bench/bench_crypto.py --cases 5000    # a quick look

Time: filling dominates — about as long as ``load_demo`` takes for N cases, twice (one per
mode); at 100,000 cases on a 2-core machine count on the order of an hour for both modes.
Data lives under ``--data-dir`` (default ``$YIRI_BENCH_DIR`` or /tmp/yiri-bench-crypto),
never in the repository; a mode's database is kept and reused when it holds N cases.
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
MODES = ("plain", "encrypted")


class PlainCodec:
    """The codec as it was before encryption (JSON and bytes as they are): the baseline."""

    def encrypt(self, plain: bytes, where) -> bytes:
        return bytes(plain)

    def decrypt(self, sealed: bytes, where) -> bytes:
        return bytes(sealed)

    def encode(self, value: dict, where) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True) if value else ""

    def decode(self, blob: str, where) -> dict:
        return json.loads(blob) if blob else {}

    def seal_text(self, text: str, where) -> str:
        return text or ""

    def open_text(self, blob: str, where) -> str:
        return blob or ""


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def child(args) -> None:
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    import django

    django.setup()
    from django.core.management import call_command

    from yiri.cases import identity, keys
    from yiri.cases.models import Case

    if args.mode == "plain":
        identity.CODEC = PlainCodec()
    from bench_list_search import LIST_FILTERS, bench_users, list_query, search_query, timed_page

    call_command("migrate", verbosity=0)
    out: dict = {"mode": args.mode}
    have = Case.objects.count()
    if have != args.cases:
        started = time.monotonic()
        call_command("load_demo", cases=args.cases, seed=7, reset=have > 0, yes_really=True,
                     validate="sample" if args.cases > 10_000 else "all", verbosity=1)
        seconds = time.monotonic() - started
        out["fill"] = {"seconds": seconds, "rate": args.cases / seconds}
    rng = random.Random(7)
    users = [u for group in bench_users(rng).values() for u in group]

    from yiri.accounts.models import User
    from yiri.cases.services import update_record

    ids = list(Case.objects.filter(status="open").order_by("?")
               .values_list("pk", flat=True)[: args.writes])
    writes, refused = [], 0
    for i, pk in enumerate(ids):
        case = Case.objects.get(pk=pk)
        user = User.objects.filter(pk=case.owner_id).first() or users[0]
        t0 = time.perf_counter()
        try:
            update_record(user, case, {"address_current": f"secteur {i}", "age": 5 + i % 12})
        except Exception:  # a user without the right on that case (a closed one): skipped
            refused += 1
            continue
        writes.append((time.perf_counter() - t0) * 1000)
    out["write"], out["write_refused"] = writes, refused

    lists, searches = [], []
    names = ["Awa", "Ouedraogo", "Sawadogo", "Kabore Mariam", "Traore", "Zongo", "Diallo"]
    for run in range(args.runs):
        user = users[run % len(users)]
        lists.append(timed_page(list_query(user, LIST_FILTERS[run % len(LIST_FILTERS)]))[0])
        q = names[run % len(names)]
        searches.append(timed_page(search_query(user, q), q)[0])
    out["list"], out["search"] = lists, searches

    if args.mode == "encrypted":
        started = time.monotonic()
        for _ in keys.rotate(batch=2000):
            pass
        out["rotate"] = {"seconds": time.monotonic() - started, "keys": keys.status()["masters"][0]["live"]}
        # ``manage.py keys rotate --data``: a new key per record, then every sealed value
        # (identities, notes, change log, …) re-encrypted under it and written back.
        from yiri.cases import reencrypt

        started = time.monotonic()
        began, _ = keys.begin_data_rotation()
        for _ in keys.renew_data_keys(began, batch=2000):
            pass
        renewed = time.monotonic() - started
        rewritten = {}
        for label, _seen, _total, count in reencrypt.reencrypt(batch=1000):
            rewritten[label] = count
        keys.finish_data_rotation()
        out["reencrypt"] = {"seconds": time.monotonic() - started, "renew_seconds": renewed,
                            "cases": Case._base_manager.count(), "values": sum(rewritten.values()),
                            "by_store": rewritten}
    Path(args.out).write_text(json.dumps(out))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--writes", type=int, default=200)
    p.add_argument("--runs", type=int, default=60)
    p.add_argument("--data-dir", default=os.environ.get("YIRI_BENCH_DIR", "/tmp/yiri-bench-crypto"))
    p.add_argument("--database-url", default="", help="PostgreSQL base URL (one database per "
                                                      "mode is made: <url>_plain, <url>_encrypted)")
    p.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.mode:
        return child(args)
    results = {}
    for mode in MODES:
        data = Path(args.data_dir) / f"{mode}-{args.cases}"
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "YIRI_"))}
        env.update({"DJANGO_SETTINGS_MODULE": "yiri.settings", "YIRI_DATA_DIR": str(data)})
        env.pop("DATABASE_URL", None)
        if args.database_url:
            env["DATABASE_URL"] = f"{args.database_url}_{mode}"
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            out = fh.name
        print(f"— {mode}: {args.cases:,} cases…", flush=True)
        subprocess.run([sys.executable, __file__, "--mode", mode, "--out", out,
                        "--cases", str(args.cases), "--writes", str(args.writes),
                        "--runs", str(args.runs)], env=env, cwd=REPO, check=True)
        results[mode] = json.loads(Path(out).read_text())
        os.unlink(out)
    print(f"\n{args.cases:,} cases — milliseconds (median / p95)")
    print(f"{'':12}{'plain':>20}{'encrypted':>20}{'cost':>10}")
    print(f"(writes timed: plain {len(results['plain']['write'])}, encrypted "
          f"{len(results['encrypted']['write'])}; refused: plain "
          f"{results['plain']['write_refused']}, encrypted {results['encrypted']['write_refused']})")
    for what in ("write", "list", "search"):
        a, b = results["plain"][what], results["encrypted"][what]
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{what:12}{ma:>11.1f} / {pct(a, .95):>6.1f}{mb:>11.1f} / {pct(b, .95):>6.1f}"
              f"{(mb / ma - 1) * 100 if ma else 0:>9.0f}%")
    for mode in MODES:
        fill = results[mode].get("fill")
        if fill:
            print(f"fill ({mode}): {fill['seconds']:.0f} s, {fill['rate']:.0f} cases/s")
    r, e = results["encrypted"]["rotate"], results["encrypted"]["reencrypt"]
    print(f"rotate: {r['keys']:,} record keys re-wrapped in {r['seconds']:.1f} s")
    print(f"re-encrypt (keys rotate --data): {e['cases']:,} cases, {e['values']:,} sealed values "
          f"re-encrypted and written back in {e['seconds']:.1f} s (new keys: "
          f"{e['renew_seconds']:.1f} s)")
    for label, count in e["by_store"].items():
        print(f"    {label}: {count:,}")


if __name__ == "__main__":
    main()
