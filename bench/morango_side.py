#!/usr/bin/env python3
"""The Morango half of the sync benchmark (issue 7): the same figures as Yiri's, measured
on Morango 0.8.15 syncing case records of the same size between two local servers.

Run with any Python 3.10+ (standard library only; ``bench/bench_sync.py`` runs it with the
system python):

    python3 bench/morango_side.py                       # N = 1,000 and 10,000
    python3 bench/morango_side.py --sizes 1000
    python3 bench/morango_side.py --with-100k           # adds N = 100,000 (slow)
    python3 bench/morango_side.py --payload-file answers.json   # Yiri's own answers

It prints one JSON object on stdout (progress on stderr).

**Install.** Morango 0.8.15 needs Django 3.x (``django<4,>=3``), Yiri runs 5.2: the script
creates a virtualenv outside the repository (``--venv``, default
``$YIRI_BENCH_DIR/morango-venv`` or ``/tmp/yiri-bench/morango-venv``) and pip-installs
``morango==0.8.15`` and ``Django>=3.2,<4`` into it when they are not there. The peer
(``bench/morango_peer/``: our Django project, Morango used as a library) runs with that
virtualenv's python.

**Nodes.** Each measurement starts from two new nodes under ``--data-dir`` (default
``$YIRI_BENCH_DIR`` or ``/tmp/yiri-bench``, refused inside the repository), in
``morango/<run>/{a,b}/db.sqlite3``: node A creates the data set (Morango root certificate)
and an account; both are migrated; each is served by its own server process
(``manage.py runserver --noreload``, threaded, keep-alive, DEBUG off, ``GZipMiddleware``
unless ``--no-gzip-responses``) on a free port of 127.0.0.1. Node B pairs with A once, as
a Kolibri device does (certificate signing request signed by A's root certificate, with
A's account), then every sync is Morango's own client run by node B
(``manage.py peer_sync``, a fresh process on B's database, as Kolibri's ``sync`` command):
connection info, A's certificates, nonce, signed sync session, a pull transfer session,
a push transfer session (each: serialise dirty rows into the store, queue, buffers in
chunks of 500, dequeue, deserialise into the table, on both sides), session closed.
Kolibri pulls first then pushes; so does this client.

**Wire.** B talks to A through a counting TCP proxy of this script on 127.0.0.1: every
byte of HTTP both ways (request and status lines, headers, bodies as sent, so
compressed where Morango or the server compresses: Morango gzips the buffers it pushes,
the server gzips its JSON answers), TCP/IP headers excepted; a request is counted each
time the client speaks after the server did (HTTP/1.1 without pipelining), connections
as accepted.

**Figures.**

* ``noop_sync``: a sync with nothing to do, all of it (connection, certificates, nonce,
  session, both transfer sessions, close): bytes, requests, connections, seconds (3 runs);
* ``new_case``: one new case created on B, then ``--new-cases`` (100) more: bytes of the
  sync, and the bytes per case over a sync with nothing to do; the same for cases created
  on A and pulled by B;
* ``edit_one_field``: one field of one case both nodes hold changed on B (``save()``):
  bytes of the sync and over a no-op sync (Morango sends the whole record again);
* ``week`` (with ``--week-edits-file``, as ``bench/bench_sync.py`` passes it): the
  one-field edits the file lists (500, five on each of 100 cases) made on B, then one
  sync: its bytes;
* ``transfer``: for each N, two new nodes, N cases created on B (``push``: they travel
  B to A) or on A (``pull``: A to B), then one sync: seconds (inside the client, and of
  the client process), peak memory (VmHWM) of the client process and of A's server
  process (its peak reset with ``/proc/<pid>/clear_refs`` just before the sync), bytes,
  requests; the cases are counted on the other node afterwards (``arrived``).

Creating the cases (the application's own writes) is not timed: only the sync is.

Measured on 30 November 2026 (2 shared vCPU, ``--sizes 1000``, 4 min): a sync with nothing
to do is 27.3 KB in 26 requests over one connection and takes 8.4 s, 6.6 s of which the
client sleeps between polls of the server's stages; a new case costs 683 B when 100 are
pushed together, 3,190 B alone (over a no-op sync); a one-field edit, 3,858 B over a no-op
sync (Morango sends the whole record); 1,000 cases pushed: 11.2 s, client peak 83 MB,
server peak 90 MB; 10,000: 55 s, 308 / 311 MB; 100,000: 460 s, 2.5 / 2.5 GB. All figures
in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

MORANGO = "0.8.15"
DJANGO = "Django>=3.2,<4"  # morango 0.8.15 requires django<4,>=3
HERE = Path(__file__).resolve().parent
PEER = HERE / "morango_peer"
REPO = HERE.parent


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- the virtualenv --------------------------------------------------------------------

def ensure_venv(venv: Path) -> tuple[Path, dict]:
    python = venv / "bin" / "python"
    probe = [str(python), "-c",
             "import json, sys, django, morango; print(json.dumps({'morango': morango.__version__, "
             "'django': django.get_version(), 'python': sys.version.split()[0]}))"]
    if not python.exists():
        log(f"creating the virtualenv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    found = subprocess.run(probe, capture_output=True, text=True)
    if found.returncode != 0 or json.loads(found.stdout)["morango"] != MORANGO:
        log(f"installing morango=={MORANGO} and {DJANGO} into {venv}")
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        f"morango=={MORANGO}", DJANGO], check=True)
        found = subprocess.run(probe, capture_output=True, text=True, check=True)
    return python, json.loads(found.stdout)


# --- the counting proxy ----------------------------------------------------------------

_ID = re.compile(r"[0-9a-f]{32}")


class CountingProxy:
    """Forwards 127.0.0.1:<port> to a server and counts what goes through, both ways."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lock = threading.Lock()
        self.reset()
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.up = self.down = self.requests = self.connections = 0
            self.lines: dict[str, int] = {}

    def snapshot(self) -> dict:
        with self.lock:
            return {"bytes": self.up + self.down, "bytes_up": self.up, "bytes_down": self.down,
                    "requests": self.requests, "connections": self.connections,
                    "by_request": dict(sorted(self.lines.items()))}

    def close(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            state = {"last": None}
            with self.lock:
                self.connections += 1
            for args in ((client, upstream, True, state), (upstream, client, False, state)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, up: bool, state: dict) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    if up:
                        self.up += len(data)
                        if state["last"] != "up":  # the client speaks again: a new request
                            self.requests += 1
                            line = data.split(b"\r\n", 1)[0].decode("latin-1")
                            line = _ID.sub("{id}", line.split("?")[0].removesuffix(" HTTP/1.1"))
                            self.lines[line] = self.lines.get(line, 0) + 1
                    else:
                        self.down += len(data)
                    state["last"] = "up" if up else "down"
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            src.close()


# --- the nodes -------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_status(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


# Generated for each run, shared by the two nodes (the server checks the client's password
# at pairing): nothing secret is kept in the repository.
RUN_SECRET_KEY = secrets.token_urlsafe(50)
RUN_PASSWORD = secrets.token_urlsafe(24)


class Node:
    def __init__(self, name: str, folder: Path, python: Path, gzip: bool, cache: Path) -> None:
        self.name = name
        self.folder = folder
        self.db = folder / "db.sqlite3"
        self.python = python
        self.env = dict(os.environ, PEER_DB=str(self.db), PEER_GZIP="1" if gzip else "0",
                        PYTHONPYCACHEPREFIX=str(cache), DJANGO_SETTINGS_MODULE="peer.settings",
                        PEER_SECRET_KEY=RUN_SECRET_KEY, PEER_PASSWORD=RUN_PASSWORD)
        self.server: subprocess.Popen | None = None
        self.port = 0
        folder.mkdir(parents=True)

    def manage(self, *args: str) -> dict:
        done = subprocess.run([str(self.python), "manage.py", *args], cwd=PEER, env=self.env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"node {self.name}: manage.py {' '.join(args)} failed:\n{done.stderr}")
        last = done.stdout.strip().splitlines()[-1:] or ["{}"]
        return json.loads(last[0]) if last[0].startswith("{") else {}

    def start(self) -> None:
        self.port = _free_port()
        self.log = open(self.folder / "server.log", "w")  # noqa: SIM115 (closed in stop)
        self.server = subprocess.Popen(
            [str(self.python), "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=PEER, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{self.port}/api/morango/v1/morangoinfo/1/"
        for _ in range(300):
            if self.server.poll() is not None:
                raise RuntimeError(f"server {self.name} died: see {self.folder / 'server.log'}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not answer on port {self.port}")

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.server:
            self.log.close()
        self.server = None

    def memory(self) -> dict:
        return _proc_status(self.server.pid) if self.server else {}

    def reset_peak(self) -> bool:
        try:
            with open(f"/proc/{self.server.pid}/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
            return True
        except OSError:
            return False

    def query(self, sql: str, *params):
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=60) as db:
            return db.execute(sql, params).fetchone()

    def cases(self) -> int:
        return self.query("SELECT count(*) FROM bench_case_benchcase")[0]


class Pair:
    """Two new nodes, both served, B paired with A, one first (empty) sync done."""

    def __init__(self, args, python: Path, run: str) -> None:
        root = args.data_dir / "morango" / run
        if root.exists():
            shutil.rmtree(root)
        cache = args.data_dir / "morango" / "pycache"
        self.root = root
        self.a = Node("a", root / "a", python, not args.no_gzip_responses, cache)
        self.b = Node("b", root / "b", python, not args.no_gzip_responses, cache)
        self.proxy: CountingProxy | None = None
        self.payload = ["--seed", str(args.seed)]
        if args.payload_file:
            self.payload += ["--payload-file", str(args.payload_file)]
        self.made = 0
        try:
            for node in (self.a, self.b):
                node.manage("migrate", "-v0")
            self.dataset = self.a.manage("peer_init", "--create-dataset")["dataset"]
            self.b.manage("peer_init")
            self.a.start()
            self.b.start()
            self.proxy = CountingProxy(self.a.port)
            self.b.manage("peer_pair", "--server", self.proxy.url, "--dataset", self.dataset)
            self.pairing = self.proxy.snapshot()
            self.first_sync = self.sync()
        except BaseException:
            self.close(keep=True)
            raise

    def make(self, node: Node, count: int) -> None:
        node.manage("peer_make", "--count", str(count), "--start", str(self.made), *self.payload)
        self.made += count

    def sync(self) -> dict:
        self.proxy.reset()
        reset = self.a.reset_peak() and self.b.reset_peak()
        before_a, before_b = self.a.memory(), self.b.memory()
        t0 = time.perf_counter()
        out = self.b.manage("peer_sync", "--server", self.proxy.url, "--dataset", self.dataset)
        out["process_seconds"] = time.perf_counter() - t0
        out["wire"] = self.proxy.snapshot()
        out["server_a"] = {"rss_before_kb": before_a.get("VmRSS"),
                           "peak_kb": self.a.memory().get("VmHWM"), "peak_reset": reset}
        out["server_b_idle"] = {"rss_before_kb": before_b.get("VmRSS"),
                                "peak_kb": self.b.memory().get("VmHWM")}
        return out

    def close(self, keep: bool = False) -> None:
        for node in (self.a, self.b):
            node.stop()
        if self.proxy:
            self.proxy.close()
        if not keep and self.root.exists():
            shutil.rmtree(self.root)


# --- the measurements ------------------------------------------------------------------

def _payload_sizes(args, count: int) -> dict:
    if args.payload_file:
        answers = json.loads(args.payload_file.read_text(encoding="utf-8"))
    else:
        spec = importlib.util.spec_from_file_location("bench_payload", PEER / "bench_case" / "payload.py")
        payload = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(payload)
        answers = [payload.case_answers(args.seed, i) for i in range(count)]
    sizes = [len(json.dumps(a, ensure_ascii=False, separators=(",", ":")).encode()) for a in answers]
    top = [len(a) for a in answers]
    subforms = [sum(1 for v in a.values() if isinstance(v, list) and v and isinstance(v[0], dict))
                for a in answers]
    rows = [sum(len(v) for v in a.values() if isinstance(v, list) and v and isinstance(v[0], dict))
            for a in answers]
    return {"cases_sampled": len(answers),
            "answers_json_utf8_bytes_mean": round(statistics.mean(sizes)),
            "top_level_keys_mean": round(statistics.mean(top), 1),
            "subforms_mean": round(statistics.mean(subforms), 1),
            "subform_rows_mean": round(statistics.mean(rows), 1)}


def _brief(sync: dict) -> dict:
    wire = sync["wire"]
    return {"bytes": wire["bytes"], "bytes_up": wire["bytes_up"], "bytes_down": wire["bytes_down"],
            "requests": wire["requests"], "connections": wire["connections"],
            "seconds": round(sync["seconds"], 3), "backoff_seconds": round(sync["backoff_seconds"], 2)}


def small_figures(args, python: Path) -> dict:
    log("small figures: new nodes")
    pair = Pair(args, python, "small")
    try:
        out = {"pairing": {k: pair.pairing[k] for k in ("bytes", "requests", "connections")},
               "first_sync": _brief(pair.first_sync)}
        log("no-op sync x3")
        noops = [pair.sync() for _ in range(3)]
        noop_bytes = statistics.median(s["wire"]["bytes"] for s in noops)
        out["noop_sync"] = {
            "bytes": noop_bytes,
            "runs": [_brief(s) for s in noops],
            "requests": noops[-1]["wire"]["requests"],
            "connections": noops[-1]["wire"]["connections"],
            "by_request": noops[-1]["wire"]["by_request"],
            "morango_own_counters": noops[-1]["morango_bytes_sent"] + noops[-1]["morango_bytes_received"],
        }
        new = {}
        for origin, direction in ((pair.b, "push"), (pair.a, "pull")):
            before = (pair.b if origin is pair.a else pair.a).cases()
            log(f"one new case ({direction})")
            pair.make(origin, 1)
            one = pair.sync()
            log(f"{args.new_cases} new cases ({direction})")
            pair.make(origin, args.new_cases)
            many = pair.sync()
            arrived = (pair.b if origin is pair.a else pair.a).cases() - before
            new[direction] = {
                "one_case_sync": _brief(one),
                "one_case_over_noop": one["wire"]["bytes"] - noop_bytes,
                f"{args.new_cases}_cases_sync": _brief(many),
                "bytes_per_case": round((many["wire"]["bytes"] - noop_bytes) / args.new_cases),
                "arrived": arrived, "expected": 1 + args.new_cases,
            }
        out["new_case"] = new
        log("one-field edit")
        edit = pair.b.manage("peer_edit", "--field", "risk_level")
        synced = pair.sync()
        seen = pair.a.query("SELECT json_extract(answers, '$.risk_level') FROM bench_case_benchcase "
                            "WHERE id = ?", edit["id"])[0]
        out["edit_one_field"] = {"sync": _brief(synced),
                                 "over_noop": synced["wire"]["bytes"] - noop_bytes,
                                 "pushed": synced["pushed"], "arrived": seen == edit["value"]}
        if args.week_edits_file:
            log("a week of edits")
            made = pair.b.manage("peer_edit", "--edits-file", str(args.week_edits_file))
            synced = pair.sync()
            out["week"] = {**made, "sync": _brief(synced), "pushed": synced["pushed"]}
        out["store_serialized_bytes_mean"] = round(pair.a.query(
            "SELECT avg(length(serialized)) FROM morango_store WHERE model_name = 'benchcase'")[0])
    finally:
        pair.close(keep=args.keep)
    return out


def transfer(args, python: Path, n: int, direction: str) -> dict:
    log(f"N = {n:,} ({direction}): new nodes")
    pair = Pair(args, python, f"n{n}-{direction}")
    try:
        origin, other = (pair.b, pair.a) if direction == "push" else (pair.a, pair.b)
        log(f"N = {n:,} ({direction}): creating the cases on {origin.name}")
        pair.make(origin, n)
        log(f"N = {n:,} ({direction}): sync")
        s = pair.sync()
        arrived = other.cases()
        log(f"N = {n:,} ({direction}): {s['seconds']:.1f} s, {arrived:,} cases on {other.name}")
        return {"n": n, "direction": direction, "seconds": round(s["seconds"], 2),
                "backoff_seconds": round(s["backoff_seconds"], 2),
                "phases": {k: round(v, 2) for k, v in s["phases"].items()},
                "process_seconds": round(s["process_seconds"], 2),
                "client_peak_kb": s["peak_kb"], "client_rss_start_kb": s["rss_start_kb"],
                "server_a_peak_kb": s["server_a"]["peak_kb"],
                "server_a_rss_before_kb": s["server_a"]["rss_before_kb"],
                "server_a_peak_reset": s["server_a"]["peak_reset"],
                "bytes": s["wire"]["bytes"], "bytes_up": s["wire"]["bytes_up"],
                "bytes_down": s["wire"]["bytes_down"], "requests": s["wire"]["requests"],
                "pulled": s["pulled"], "pushed": s["pushed"], "arrived": arrived}
    finally:
        pair.close(keep=args.keep)


def summary(result: dict) -> dict:
    """The headline figures, named as the Yiri side names its own (for the ratios)."""
    out = {}
    if "noop_sync" in result:
        push = result["new_case"]["push"]
        out.update({
            "new_case_bytes": push["bytes_per_case"],
            "new_case_bytes_alone": push["one_case_over_noop"],
            "edit_one_field_bytes": result["edit_one_field"]["sync"]["bytes"],
            "edit_one_field_bytes_over_noop": result["edit_one_field"]["over_noop"],
            "noop_sync_bytes": result["noop_sync"]["bytes"],
            "week_edits_bytes": result["week"]["sync"]["bytes"] if "week" in result else None,
            "noop_sync_requests": result["noop_sync"]["requests"],
            "noop_sync_seconds": statistics.median(r["seconds"] for r in result["noop_sync"]["runs"]),
        })
    out["transfer"] = {
        f"{t['n']}-{t['direction']}": {
            "seconds": t["seconds"], "client_peak_mb": round(t["client_peak_kb"] / 1024, 1),
            "server_peak_mb": round(t["server_a_peak_kb"] / 1024, 1), "bytes": t["bytes"],
            "complete": t["arrived"] == t["n"]}
        for t in result["transfer"]}
    return out


def main() -> None:
    default_dir = Path(os.environ.get("YIRI_BENCH_DIR") or "/tmp/yiri-bench")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="N changes to carry, comma-separated")
    parser.add_argument("--with-100k", action="store_true", help="add N = 100,000 (slow)")
    parser.add_argument("--directions", default="push,pull")
    parser.add_argument("--new-cases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--payload-file", type=Path,
                        help="JSON list of answer dicts to use instead of the peer's generator")
    parser.add_argument("--week-edits-file", type=Path,
                        help="JSON list of [k, field, choices]: one-field edits synced at once")
    parser.add_argument("--data-dir", type=Path, default=default_dir)
    parser.add_argument("--venv", type=Path, help="default: <data-dir>/morango-venv")
    parser.add_argument("--no-gzip-responses", action="store_true",
                        help="serve Morango's answers uncompressed (pushes stay gzipped by Morango)")
    parser.add_argument("--skip-small", action="store_true", help="only the N-change transfers")
    parser.add_argument("--keep", action="store_true", help="keep the node databases")
    args = parser.parse_args()

    args.data_dir = args.data_dir.resolve()
    if args.data_dir == REPO or REPO in args.data_dir.parents:
        parser.error("--data-dir must be outside the repository")
    venv = (args.venv or args.data_dir / "morango-venv").resolve()
    if venv == REPO or REPO in venv.parents:
        parser.error("--venv must be outside the repository")
    if args.payload_file:
        args.payload_file = args.payload_file.resolve()
    if args.week_edits_file:
        args.week_edits_file = args.week_edits_file.resolve()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_100k and 100000 not in sizes:
        sizes.append(100000)
    directions = [d for d in args.directions.split(",") if d]
    args.data_dir.mkdir(parents=True, exist_ok=True)

    python, versions = ensure_venv(venv)
    result = {
        "system": "morango", "versions": versions,
        "setup": {"server": "django runserver --noreload (threaded, keep-alive), DEBUG off",
                  "server_gzip_responses": not args.no_gzip_responses,
                  "push_buffers_gzipped_by_morango": True, "chunk_size": 500,
                  "order": "pull then push (as Kolibri's sync command)",
                  "database": "SQLite (WAL), one file per node", "seed": args.seed,
                  "payload": str(args.payload_file.name) if args.payload_file else "morango_peer payload.case_answers"},
        "record": _payload_sizes(args, args.new_cases),
    }
    if not args.skip_small:
        result.update(small_figures(args, python))
    result["transfer"] = [transfer(args, python, n, d) for n in sizes for d in directions]
    result = {"summary": summary(result), **result}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
