#!/usr/bin/env python
"""Throughput of the production server (gunicorn, ``scripts/serve.sh``) under 20 users
clicking without pause, beside Django's development server (``manage.py runserver``).

Issue 9 (13): ``runserver`` served about 20 requests/s to 20 users on 100,000 cases on
PostgreSQL, median about 1 s, p95 1.6-1.7 s. Target on 2 cores: at least 3x that
throughput, p95 under 500 ms, no error.

    .venv/bin/python bench/bench_load.py                      # 100,000 cases, 60 s per server
    .venv/bin/python bench/bench_load.py --cases 20000 --seconds 30
    .venv/bin/python bench/bench_load.py --cases 2000 --seconds 10 --skip-runserver   # quick

What it does:

1. **Data.** A PostgreSQL database ``yiri_bench_load_<size>`` on 127.0.0.1 (created if
   missing; ``--database-url`` for another) and a data folder under ``--data-dir`` (default
   ``$YIRI_BENCH_DIR`` or /tmp/yiri-bench, refused inside the repository). In a child
   process (Django settings are per process): migrate; if the database holds another
   number of cases, ``load_demo --cases N --seed 42`` (wiping it first), as
   ``bench_list_search.py`` does; ANALYZE.
2. **Signed-in users.** 20 users of the demo (14 case workers, 6 supervisors, from every
   organisation), each given a session created on the server side: a ``SessionStore`` with
   Django's login keys (user id, backend, password hash) and Yiri's sign-in time, as
   ``django.contrib.auth.login`` writes them, so the bench needs no password and no
   sign-in form. **When two-factor sign-in lands** (django-otp), a session must also carry
   the verified device (``django_otp.login`` writes ``otp_device_id``, the device's
   ``persistent_id``): ``make_sessions`` does so when ``django_otp`` is installed, giving
   each bench user a confirmed TOTP device if it has none — adapt it there if the 2FA
   change marks a verified session differently.
3. **The servers**, one after the other, on 127.0.0.1 only, each with the same
   environment (``YIRI_HTTPS=1``, ``YIRI_TLS_PROXY=1``, DEBUG off): the production server,
   ``scripts/serve.sh --no-install`` (gunicorn, ``--workers``, default 2 x cores + 1),
   then ``manage.py runserver --noreload`` (threaded). The client speaks as the TLS proxy
   would (``X-Forwarded-Proto: https``, ``X-Forwarded-For``) and as a browser on Yiri's
   pages (``Sec-Fetch-Site: same-origin``, so pages come gzip-compressed, and
   ``Origin`` for the CSRF check).
4. **The load**: 20 threads, one per user, each with its own HTTP client (httpx,
   keep-alive), in rounds without pause: home, the case list with a filter (rotating:
   open + high risk, a stage, open, trafficked, high risk, none, open + trafficked), one case of that page,
   a name search (POST ``/search/``, names from ``bench_list_search.SEARCHES``), and
   every tenth round an edit of an open case seen in a list (the "protection concerns" section's form, then its POST
   with the risk level changed). ``--warmup`` seconds first (not counted), then
   ``--seconds`` measured; every request in flight at the end is finished and counted.
5. **Figures**: per page, requests, requests/s, p50 and p95 (ms); errors (5xx, a
   connection failure, a timeout, or an unexpected status such as a refused edit or the
   login page); the server's memory (resident set of the server and its worker
   processes, peak and at the end); the server's CPU time (its processes and their
   children) over the measured seconds: cores used and CPU milliseconds per request, the
   figure that a machine shared with other work distorts least. Then the ratio of the two
   servers.

The client runs on the same 2 cores as the server and takes part of them: the figures are
a floor of what the server does with the machine to itself.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
USERS = 20
SEED = 42
FILTERS = [
    "status=open&risk=high", "stage=case_plan", "status=open", "concern=trafficked",
    "risk=high", "", "status=open&concern=trafficked",
]
CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAGES = ["home", "list", "case", "search", "edit form", "edit"]


def size_label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


# --- preparation (child process, with the bench environment) -------------------------


def prepare(args) -> None:
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yiri.cases.models import Case

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    have = Case.objects.count()
    if have != args.cases:
        print(f"{have:,} cases in the database, generating {args.cases:,} (seed {SEED})…",
              flush=True)
        started = time.monotonic()
        call_command("load_demo", cases=args.cases, seed=SEED, reset=have > 0,
                     yes_really=True, validate="sample" if args.cases > 10_000 else "all",
                     verbosity=1)
        print(f"generated in {time.monotonic() - started:.0f} s", flush=True)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    sessions = make_sessions()
    out = Path(args.sessions_out)
    out.write_text(json.dumps(sessions))
    out.chmod(0o600)


def make_sessions() -> list[dict]:
    """A signed-in session for each bench user, written as ``auth.login`` writes one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from yiri.accounts.models import User
    from yiri.web.security import SIGNED_IN_AT

    def pick(role: str, k: int) -> list:
        users = list(User.objects.filter(role__code=role, is_active=True)
                     .order_by("agency__code", "username"))
        by_agency: dict = {}
        for u in users:
            by_agency.setdefault(u.agency_id, []).append(u)
        chosen = []
        while len(chosen) < k and any(by_agency.values()):
            for group in by_agency.values():
                if group and len(chosen) < k:
                    chosen.append(group.pop(0))
        return chosen

    users = pick("case_worker", 14) + pick("manager", USERS - 14)
    if len(users) < USERS:
        raise SystemExit(f"Only {len(users)} case workers and supervisors in the demo.")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[SIGNED_IN_AT] = int(time.time())
        if "django_otp" in settings.INSTALLED_APPS:  # two-factor sign-in: a verified device
            store["otp_device_id"] = verified_device(user).persistent_id
        store.create()
        sessions.append({"username": user.username, "role": user.role.code,
                         "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"})
    return sessions


def verified_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


# --- the load --------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of the first form posting to ``action``, as a browser would send them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.done = action, False, False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done:
            target = a.get("action") or a.get("hx-post") or ""
            self.inside = target.split("#")[0] == self.action
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea and self.fields and self.fields[-1][0] == self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


class VirtualUser(threading.Thread):
    def __init__(self, number: int, session: dict, base: str, stop: threading.Event,
                 counting: threading.Event, results: dict, lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        import httpx

        self.rng = random.Random(SEED + number)
        self.number, self.session, self.base = number, session, base
        self.stop, self.counting, self.results, self.lock = stop, counting, results, lock
        self.cookies = {"sessionid": session["cookie"].split("=", 1)[1]}
        origin = "https://" + base.split("://", 1)[1]
        self.headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": f"198.51.100.{number + 1}",
                        "Sec-Fetch-Site": "same-origin", "Origin": origin,
                        "Accept-Encoding": "gzip", "User-Agent": "yiri-bench-load"}
        self.client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
        self.case_ids: list[str] = []
        self.open_ids: list[str] = []

    def request(self, page: str, method: str, path: str, data=None, headers=None,
                ok=(200,)) -> str:
        sent = {**self.headers, **(headers or {}),
                "Referer": self.headers["Origin"] + path,
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        started = time.perf_counter()
        status, text = 0, ""
        try:
            if isinstance(data, str):
                r = self.client.request(method, path, content=data, headers=sent)
            else:
                r = self.client.request(method, path, data=data, headers=sent)
            status, text = r.status_code, r.text
            for name, value in r.cookies.items():
                self.cookies[name] = value
        except Exception as exc:  # noqa: BLE001 — a failure of any kind is an error
            text = type(exc).__name__
        ms = (time.perf_counter() - started) * 1000
        if self.counting.is_set():
            with self.lock:
                row = self.results.setdefault(page, {"ms": [], "errors": 0, "statuses": {}})
                row["ms"].append(ms)
                if status not in ok:
                    row["errors"] += 1
                    row["statuses"][str(status or text)] = row["statuses"].get(
                        str(status or text), 0) + 1
        return text

    def run(self) -> None:
        searches = __import__("bench_list_search").SEARCHES
        rounds = 0
        while not self.stop.is_set():
            rounds += 1
            self.request("home", "GET", "/")
            listing = self.rng.choice(FILTERS)
            page = self.request("list", "GET", "/cases/" + (f"?{listing}" if listing else ""))
            self.case_ids = CASE_LINK.findall(page) or self.case_ids
            if "status=open" in listing:  # edits go to open cases (a closed one is read-only)
                self.open_ids = CASE_LINK.findall(page) or self.open_ids
            if self.case_ids:
                case = self.rng.choice(self.case_ids)
                page = self.request("case", "GET", f"/cases/{case}/")
            token = CSRF.search(page)
            if token:
                self.request("search", "POST", "/search/", data={
                    "csrfmiddlewaretoken": html.unescape(token.group(1)),
                    "q": self.rng.choice(searches)}, ok=(200,))
            if rounds % 10 == 0 and self.open_ids:
                self.edit(self.rng.choice(self.open_ids))

    def edit(self, case: str) -> None:
        action = f"/cases/{case}/section/protection_concerns/"
        form = self.request("edit form", "GET", action + "?edit=1", headers={"HX-Request": "true"})
        parser = FormFields(action)
        parser.feed(form)
        fields = [(k, v) for k, v in parser.fields if k != "risk_level"]
        if not any(k == "csrfmiddlewaretoken" for k, _ in fields):
            token = CSRF.search(form)
            if token:
                fields.append(("csrfmiddlewaretoken", html.unescape(token.group(1))))
        fields.append(("risk_level", self.rng.choice(["low", "medium", "high"])))
        self.request("edit", "POST", action, data=urlencode(fields), ok=(302,),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def family(pid: int) -> set[int]:
    """``pid`` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, grew = {pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in found} - found
        grew, found = bool(more), found | more
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB."""
    total = 0
    for p in family(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid``, its descendants and their reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        except (OSError, ValueError, IndexError):
            pass
    return total / tick


def run_server(kind: str, env: dict, args, sessions: list[dict]) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if kind == "gunicorn":
        cmd = ["scripts/serve.sh", "--no-install"]
        env = {**env, "YIRI_BIND": f"127.0.0.1:{port}", "YIRI_PYTHON": sys.executable}
        if args.workers:
            env["YIRI_WORKERS"] = str(args.workers)
    else:
        cmd = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    log = open(Path(args.data_dir_resolved) / f"{kind}.log", "w")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{kind} did not start: see {log.name}") from None
                time.sleep(0.5)
        time.sleep(2)  # the workers boot after the socket is open
        stop, counting, lock = threading.Event(), threading.Event(), threading.Lock()
        results: dict = {}
        users = [VirtualUser(i, s, base, stop, counting, results, lock)
                 for i, s in enumerate(sessions)]
        for u in users:
            u.start()
        time.sleep(args.warmup)
        counting.set()
        cpu_before = tree_cpu_seconds(proc.pid)
        started = time.monotonic()
        peak = 0.0
        while time.monotonic() - started < args.seconds:
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(1)
        stop.set()
        for u in users:
            u.join(timeout=60)
        elapsed = time.monotonic() - started
        cpu = tree_cpu_seconds(proc.pid) - cpu_before
        final = tree_rss_mb(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return {"server": kind, "seconds": elapsed, "pages": results, "cpu_seconds": cpu,
            "memory_peak_mb": max(peak, final), "memory_end_mb": final}


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def report(run: dict) -> dict:
    seconds = run["seconds"]
    every = [ms for row in run["pages"].values() for ms in row["ms"]]
    errors = sum(row["errors"] for row in run["pages"].values())
    print(f"\n{run['server']}: {len(every)} requests in {seconds:.0f} s = "
          f"{len(every) / seconds:.1f} requests/s, p50 {pct(every, .5):.0f} ms, "
          f"p95 {pct(every, .95):.0f} ms, errors {errors}, server memory peak "
          f"{run['memory_peak_mb']:.0f} MB (end {run['memory_end_mb']:.0f} MB)")
    cpu_ms = 1000 * run["cpu_seconds"] / max(1, len(every))
    print(f"  server CPU: {run['cpu_seconds']:.0f} s in {seconds:.0f} s "
          f"({run['cpu_seconds'] / seconds:.2f} cores), {cpu_ms:.0f} ms per request; "
          f"machine load average {os.getloadavg()[0]:.1f}")
    print(f"  {'page':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
    for page in PAGES:
        row = run["pages"].get(page)
        if row:
            statuses = f"  {row['statuses']}" if row["statuses"] else ""
            print(f"  {page:<10} {len(row['ms']):>8} {len(row['ms']) / seconds:>7.1f} "
                  f"{pct(row['ms'], .5):>7.0f} {pct(row['ms'], .95):>7.0f} "
                  f"{row['errors']:>6}{statuses}")
    return {"rps": len(every) / seconds, "p50": pct(every, .5), "p95": pct(every, .95),
            "errors": errors, "cpu_ms_per_request": cpu_ms,
            "cores_used": run["cpu_seconds"] / seconds, "memory_peak_mb": run["memory_peak_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60, help="measured, per server")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--users", type=int, default=USERS, help="virtual users (20)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (serve.sh's default)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default=os.environ.get("YIRI_BENCH_DIR", "/tmp/yiri-bench"))
    parser.add_argument("--skip-runserver", action="store_true")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sessions-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        return prepare(args)

    data_dir = (Path(args.data_dir) / f"load-{size_label(args.cases)}").resolve()
    if REPO in data_dir.parents:
        raise SystemExit("--data-dir must be outside the repository.")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    args.data_dir_resolved = str(data_dir)
    url = args.database_url or f"{PG_SERVER}/yiri_bench_load_{size_label(args.cases)}"
    if not url.startswith("postgres"):
        raise SystemExit("The load bench runs on PostgreSQL (--database-url postgres://…).")
    sys.path.insert(0, str(REPO / "bench"))
    from bench_list_search import ensure_pg_database

    ensure_pg_database(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIRI_", "DJANGO_"))}
    env.update({"DATABASE_URL": url, "YIRI_DATA_DIR": str(data_dir), "YIRI_NODE_KIND": "national",
                "YIRI_NODE_CODE": "BENCH", "YIRI_HTTPS": "1", "YIRI_TLS_PROXY": "1",
                "YIRI_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_SETTINGS_MODULE": "yiri.settings"})
    sessions_file = data_dir / "sessions.json"
    subprocess.run([sys.executable, __file__, "--prepare", "--cases", str(args.cases),
                    "--sessions-out", str(sessions_file)], env=env, cwd=REPO, check=True)
    sessions = json.loads(sessions_file.read_text())[:args.users]
    print(f"{args.cases:,} cases on PostgreSQL, {len(sessions)} users "
          f"({sum(s['role'] == 'case_worker' for s in sessions)} case workers), "
          f"{args.warmup:.0f} s warm-up then {args.seconds:.0f} s per server, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    figures = {"cases": args.cases}
    for kind in ["gunicorn"] + ([] if args.skip_runserver else ["runserver"]):
        figures[kind] = report(run_server(kind, env, args, sessions))
    if "runserver" in figures:
        g, r = figures["gunicorn"], figures["runserver"]
        print(f"\ngunicorn / runserver: {g['rps'] / r['rps']:.1f}x the requests per second; "
              f"p95 {g['p95']:.0f} ms against {r['p95']:.0f} ms; server CPU per request "
              f"{g['cpu_ms_per_request']:.0f} ms against {r['cpu_ms_per_request']:.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
