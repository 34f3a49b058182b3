"""Bytes on the wire and server time of the pages a case worker opens all day.

Loads, with Django's test ``Client`` against the configured database (``DATABASE_URL``
or the office SQLite file) and as a browser would (``Accept-Encoding: gzip``, navigating
from Yiri's own pages), the home page, the case list (first page, and a filtered and
sorted page) and one case page, as seen by a real user of that database, then the static
files each page names. Static files come from ``collectstatic`` (run first if it never
ran), as ``run.sh`` serves them. Run it on a demo database:

    python manage.py load_demo                  # or --cases 100000
    python bench/bench_pages.py                 # busiest case worker, 7 runs per page
    python bench/bench_pages.py --user NAME --runs 15

"first" counts the bytes received (status line, headers, cookies and body as sent, i.e.
compressed) for the page and every stylesheet and script it names, with an empty cache;
"repeat" counts what a second visit downloads again: the page (private, and different on
every response because its CSRF token is masked afresh), and only those static files
whose Cache-Control does not let the browser keep them (a conditional request when they
carry an ETag or Last-Modified). "2G s" is an estimate for the emulated link of issue 6
(400 ms round trip, 250 kbit/s): one round trip for the page, one for its files fetched in
parallel, plus the transfer time; no TCP or TLS set-up. Server time is the median of the
runs, measured around ``Client.get`` (no network).

Measured on the default demo (2,000 cases, SQLite, 2 shared cores, 3 runs), case worker
seeing 138 cases:

    page                 html  page gz   first req 2G s  repeat req 2G s  uncompr.   ms
    home                9,559    3,235  24,063   4  1.6   3,208   1  0.5    69,494   81
    case list          14,392    4,634  25,462   4  1.6   4,638   1  0.5    74,327   26
    case list, filtered 8,014    3,378  24,206   4  1.6   3,368   1  0.5    67,949   20
    case page          25,858    5,638  26,466   4  1.6   5,706   1  0.6    85,793   28

Static files (htmx, stylesheet, script) weigh about 20.8 KB compressed and are fetched
once: their hashed names are cached for a year (``immutable``). Before compression and
long caching, a first visit to a case page received about 86 KB (3.4 s measured on the
emulated link), and each visit more than a minute later asked again for every static file.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from yiri.accounts.models import User  # noqa: E402
from yiri.cases.models import Case  # noqa: E402

BUDGET = 100_000
# A browser navigating from Yiri's own pages: it accepts gzip, and says where the request
# comes from (the page compression rule of yiri/web/compression.py).
BROWSER = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "HTTP_SEC_FETCH_SITE": "same-origin"}
RTT, BITS_PER_SECOND = 0.4, 250_000  # the emulated 2G link of issue 6
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')


def busiest_case_worker() -> User:
    row = (Case.objects.filter(deleted=False, owner__role__code="case_worker", owner__is_active=True)
           .values("owner").annotate(n=Count("pk")).order_by("-n").first())
    if row is None:
        sys.exit("No case owned by an active case worker: run `manage.py load_demo` first.")
    return User.objects.get(pk=row["owner"])


def body_of(response) -> bytes:
    """The body as received (streamed responses are read once and kept)."""
    if not hasattr(response, "_bench_body"):
        response._bench_body = (b"".join(response.streaming_content) if response.streaming
                                else response.content)
    return response._bench_body


def wire_bytes(response) -> int:
    """Bytes of one HTTP/1.1 response as received: status line, headers, cookies, body
    (compressed when the server compressed it)."""
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
    head += "".join(f"{c.output(header='Set-Cookie:')}\r\n" for c in response.cookies.values())
    return len((head + "\r\n").encode()) + len(body_of(response))


def plain(response) -> bytes:
    body = body_of(response)
    return gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body


def cached_for_good(response) -> bool:
    """Whether a browser reuses this response on the next visit without asking the server:
    a lifetime (max-age) of at least a day; 'no-cache'/'no-store' force a new request."""
    cache = response.get("Cache-Control", "")
    if "no-cache" in cache or "no-store" in cache:
        return False
    age = re.search(r"max-age=(\d+)", cache)
    return bool(age) and int(age.group(1)) >= 24 * 3600


def revalidate(client: Client, url: str, response) -> int:
    """Bytes of the conditional request a browser makes for an expired cached response
    (304 when unchanged), or of the whole response when it has no validator."""
    validators = {}
    if response.get("ETag"):
        validators["HTTP_IF_NONE_MATCH"] = response["ETag"]
    if response.get("Last-Modified"):
        validators["HTTP_IF_MODIFIED_SINCE"] = response["Last-Modified"]
    return wire_bytes(client.get(url, **BROWSER, **validators))


def visit(client: Client, url: str, runs: int) -> dict:
    """One page as a browser loads it, first with an empty cache, then again."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        page = client.get(url, **BROWSER)
        times.append((time.perf_counter() - start) * 1000)
        if page.status_code != 200:
            sys.exit(f"{url} answered {page.status_code}")
    html = plain(page)
    assets = {a: client.get(a, **BROWSER) for a in ASSET.findall(html.decode())}
    for a, r in assets.items():
        if r.status_code != 200:
            sys.exit(f"{a} answered {r.status_code}: run `manage.py collectstatic`")
    first = wire_bytes(page) + sum(wire_bytes(r) for r in assets.values())
    # The page itself is private and different each time (fresh CSRF mask): fetched again.
    again = [a for a, r in assets.items() if not cached_for_good(r)]
    repeat = wire_bytes(client.get(url, **BROWSER)) + sum(
        revalidate(client, a, assets[a]) for a in again)
    return {"html": len(html), "page": wire_bytes(page), "first": first, "first_n": 1 + len(assets),
            "repeat": repeat, "repeat_n": 1 + len(again), "ms": statistics.median(times),
            "plain_first": len(html) + sum(len(plain(r)) for r in assets.values())}


def on_2g(size: int, requests: int) -> float:
    """Seconds on the emulated 2G link: the page, then its files in one parallel round."""
    rounds = 1 + (1 if requests > 1 else 0)
    return rounds * RTT + size * 8 / BITS_PER_SECOND


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", help="user name (default: the case worker with most cases)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    setup_test_environment()  # lets Client run against the configured database as is
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)  # as run.sh does
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
    print("Bytes received (headers + body, gzip), first visit with an empty cache and repeat visit;")
    print(f"2G: {RTT * 1000:.0f} ms round trip, {BITS_PER_SECOND // 1000} kbit/s, files in one parallel round.\n")
    print(f"{'page':<21}{'html':>8}{'page gz':>9}{'first':>9}{'req':>4}{'2G s':>6}"
          f"{'repeat':>9}{'req':>4}{'2G s':>6}{'uncompr.':>10}{'ms':>7}  budget")
    for name, url in pages:
        v = visit(client, url, args.runs)
        verdict = "ok" if v["html"] < BUDGET else "OVER"
        print(f"{name:<21}{v['html']:>8,}{v['page']:>9,}{v['first']:>9,}{v['first_n']:>4}"
              f"{on_2g(v['first'], v['first_n']):>6.1f}{v['repeat']:>9,}{v['repeat_n']:>4}"
              f"{on_2g(v['repeat'], v['repeat_n']):>6.1f}{v['plain_first']:>10,}{v['ms']:>7.1f}  {verdict}")
    print("\nhtml: the page uncompressed; page gz: the page as received; first/repeat: page and"
          " the static\nfiles it names (repeat: only what the cache headers make the browser"
          " fetch again);\nuncompr.: the first visit's bodies uncompressed; ms: server time,"
          " median of the runs.")


if __name__ == "__main__":
    main()
