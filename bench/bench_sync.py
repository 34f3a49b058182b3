#!/usr/bin/env python3
"""The sync benchmark of issue 7: Yiri's figures, then Morango 0.8.15's on the same records,
and the ratio Yiri/Morango for each.

    .venv/bin/python bench/bench_sync.py                      # N = 1,000 and 10,000, then Morango
    .venv/bin/python bench/bench_sync.py --sizes 1000 --json  # one JSON object on stdout
    .venv/bin/python bench/bench_sync.py --with-100k          # adds N = 100,000 (slow)
    .venv/bin/python bench/bench_sync.py --morango-json m.json  # a saved Morango run
    .venv/bin/python bench/bench_sync.py --skip-morango

**Nodes.** Three Yiri nodes, each its own data folder and SQLite database under
``--data-dir`` (default ``$YIRI_BENCH_DIR`` or ``/tmp/yiri-bench``, refused inside the
repository), in ``yiri-sync/<run>/{office,relay,national}``, made as
``tests/sync/nodes.py`` makes them (``migrate``, ``load_reference_data``, the network of
``SETUP_NETWORK``: agencies ACE, BTA, TGO, the relay cell of ACE and BTA, a case worker of
ACE). The relay and the national node are served by their own process each
(``manage.py runserver --noreload``: threaded, keep-alive off, DEBUG off). The office's
parent is the relay (scope ACE), the relay's the national node (scope ACE, BTA), as an
operator enrols them (``node enrol-request`` / ``enrol`` / ``join``, node keys). Every
sync is ``manage.py sync run --quiet`` in a new process on the child (through
``call_command`` in a small wrapper that also times the command itself).

**Wire.** Each server is reached through a counting TCP proxy on 127.0.0.1 (the one of
``bench/morango_side.py``): every byte of HTTP both ways, request and status lines and
headers included (TCP/IP headers excepted), requests (each time the client speaks after
the server did) and connections.

**Records.** ``bench/morango_peer/bench_case/payload.py`` draws the answers of a case (60
fields, family, services and follow-up subforms, 7.5 rows on average); its places are
mapped onto Yiri's reference communes, the age onto the date of birth, then every case is
validated by Yiri's default case form (``validate_answers``). The validated answers of
``--distinct`` cases (1,000) are written to ``payload.json``, created in turn on the
office (``create_record`` for one case, ``bulk_create_records`` for many, as the case
worker), and given to ``morango_side.py --payload-file``: both systems carry the same
answers.

**Figures.** On one network (``small``):

* ``noop_sync``: a sync with nothing to do (3 runs): bytes, requests, connections,
  seconds inside the command and of the process;
* ``new_case``: one case created on the office, synced office → relay (bytes over a no-op
  sync), then ``--new-cases`` (100) more in one sync (bytes per case over a no-op sync);
  the relay's sync to the national node is measured too;
* ``edit_one_field``: ``risk_level`` of one case changed (``update_record``), synced;
* ``week``: ``--week-edits`` (500) one-field edits, 5 on each of 100 cases (selects,
  a yes/no, a note), then one sync: bytes (a week of an office's work);
* the national node's digest of ACE's records equals the office's (``converged``);
* bundles (``manage.py bundle``, issue 8): the same week written as a bundle file for the
  relay just before the sync carries it (an export moves no cursor), and a bundle with
  nothing new just after: bytes of the file, next to the week's and a no-op sync's
  bytes on the wire.

For each N of ``--sizes`` a new network: N cases created on the office (not timed), then
the office's sync (office → relay) and the relay's (relay → national), each: seconds,
peak memory (VmHWM) of the client process (``os.wait4``) and of the server it calls
(its peak reset through ``/proc/<pid>/clear_refs`` just before), bytes, requests; the
cases counted on the national node afterwards. Then N more cases are created on the
office and carried office → relay by a bundle file (``bundle export`` on the office,
``bundle import`` on the relay, each a process measured as a sync is): seconds of each,
bytes of the file, peak memory, the cases that arrived. The bundle's cases meet a relay
already holding N, the sync's an empty one.

Morango (``bench/morango_side.py``, run after Yiri with the system python and the same
payload, with ``--week-edits``) gives the same figures between two nodes: its one hop is
compared with Yiri's office → relay hop. Figures measured and method: ``bench/README.md``.

Measured on 30 November 2026 (2 shared vCPU, ``--with-100k``): a new case 762 B in a batch
(Morango 679 B), 2,454 B alone (3,188 B); a one-field edit 186 B over a no-op sync (Morango
sends the whole record, 4,016 B); a week of 500 edits 14.1 KB (93.9 KB); a sync with nothing
to do 948 B in one request (26.7 KB in 26); 10,000 new cases office → relay 23 s (Morango's
one hop 55 s), office → relay → national 47.5 s (target 30 s: not met); peak memory flat,
115 MB for the client and 130-145 MB for a server at 100,000 (Morango 2.5 GB each side).
Bundles, the same day: the week 14.1 KB as a file (14.2 KB over HTTP), nothing new 588 B
(a no-op sync 948 B), 10,000 cases office → relay 7.4 s to export and 30.7 s to import
(23.0 s over HTTP), 106 MB peak.
Later the same day, on main with the relay forwarding at once and node keys: a no-op sync
981 B, 10,000 new cases office → relay → national 22.5 s (target met), as a bundle 4.6 s
to export and 15.0 s to import; bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from morango_side import CountingProxy, _proc_status  # noqa: E402 (standard library only)

from tests.sync.nodes import SETUP_NETWORK, Node, link  # noqa: E402

PAYLOAD_PY = HERE / "morango_peer" / "bench_case" / "payload.py"
TARGETS = {
    "edit_share_of_new_case": 0.20,
    "week_bytes": 80 * 1024,
    "noop_bytes": 1024,
    "noop_requests": 1,
    "transfer_10000_seconds": 30,
}


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- nodes


class BenchNode(Node):
    """A node of ``tests/sync/nodes.py`` measured: each command a process whose time and
    peak memory are taken, the server behind a counting proxy."""

    proxy: CountingProxy | None = None

    def front(self, taken: set[int]) -> None:
        """Put a counting proxy in front of this node's server: children call the proxy.
        Its port is none of ``taken`` (the ports the nodes' servers will listen on)."""
        proxy = CountingProxy(self.port)
        while proxy.port in taken:
            proxy.close()
            proxy = CountingProxy(self.port)
        self.proxy = proxy
        self.url = proxy.url.rstrip("/")

    def serve(self) -> None:
        """Start the server and make sure it is this node's that answers on its port."""
        super().serve()
        time.sleep(1.5)  # a server that could not take its port stops within this
        if self.proc.poll() is not None:
            log_file = self.dir / "server.log"
            raise RuntimeError(f"{self.name}: server stopped:\n{log_file.read_text()[-2000:]}")

    def run(self, args: list[str], timeout: float = 7200) -> dict:
        """Run ``python args`` in the node: its wall seconds and output."""
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(args[:3])} failed:\n{err[-4000:]}")
        return {"seconds": seconds, "stdout": out, "stderr": err}

    def py(self, code: str, timeout: float = 7200) -> dict:
        """Run ``code`` in the node (Django set up); it sets ``result``. Returns the result,
        the process's seconds and its peak memory."""
        program = ("import django, json, resource, time\n"
                   "django.setup()\nresult = None\n" + textwrap.dedent(code)
                   + "\nprint('@@' + json.dumps({'result': result, 'peak_kb': "
                   "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, default=str))")
        done = self.run(["-c", program], timeout)
        line = [x for x in done["stdout"].splitlines() if x.startswith("@@")][-1]
        data = json.loads(line[2:])
        return {"result": data["result"], "peak_kb": data["peak_kb"], "seconds": done["seconds"]}

    def sync_measured(self, parent: BenchNode) -> dict:
        """``manage.py sync run --quiet`` on this node, measured."""
        parent.proxy.reset()
        reset = parent.reset_peak()
        before = parent.memory()
        cpu = parent.cpu_seconds()
        out = self.py("""
            from django.core.management import call_command
            rss = int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])
            def cpu():
                r = resource.getrusage(resource.RUSAGE_SELF)
                return r.ru_utime + r.ru_stime
            c0, t0 = cpu(), time.perf_counter()
            call_command("sync", "run", "--quiet")
            result = {"seconds": time.perf_counter() - t0, "cpu_seconds": cpu() - c0,
                      "rss_start_kb": rss}
        """)
        wire = parent.proxy.snapshot()
        return {"seconds": out["result"]["seconds"], "process_seconds": out["seconds"],
                "client_cpu_seconds": round(out["result"]["cpu_seconds"], 2),
                "server_cpu_seconds": round(parent.cpu_seconds() - cpu, 2),
                "client_peak_kb": out["peak_kb"], "client_rss_start_kb": out["result"]["rss_start_kb"],
                "server_peak_kb": parent.memory().get("VmHWM"),
                "server_rss_before_kb": before.get("VmRSS"), "server_peak_reset": reset,
                "bytes": wire["bytes"], "bytes_up": wire["bytes_up"],
                "bytes_down": wire["bytes_down"], "requests": wire["requests"],
                "connections": wire["connections"]}

    def bundle_measured(self, *args: str) -> dict:
        """``manage.py bundle ARGS --quiet`` on this node, measured as a sync is."""
        out = self.py("""
            from django.core.management import call_command
            def cpu():
                r = resource.getrusage(resource.RUSAGE_SELF)
                return r.ru_utime + r.ru_stime
            c0, t0 = cpu(), time.perf_counter()
            call_command("bundle", *ARGS, "--quiet")
            result = {"seconds": time.perf_counter() - t0, "cpu_seconds": cpu() - c0}
        """.replace("ARGS", repr(list(args))))
        return {"seconds": round(out["result"]["seconds"], 2), "process_seconds": round(out["seconds"], 2),
                "cpu_seconds": round(out["result"]["cpu_seconds"], 2), "peak_kb": out["peak_kb"]}

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self) -> dict:
        return _proc_status(self.proc.pid) if self.proc else {}

    def reset_peak(self) -> bool:
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")  # VmHWM back to the current RSS (Linux >= 4.0)
            return True
        except OSError:
            return False

    def close(self) -> None:
        self.stop()
        if self.proxy:
            self.proxy.close()


class Network:
    """Office → relay → national, served and linked, first syncs done."""

    def __init__(self, root: Path, *, forward: bool = False) -> None:
        if root.exists():
            shutil.rmtree(root)
        self.root = root
        self.national = BenchNode(root, "national", "national")
        self.relay = BenchNode(root, "relay", "relay")
        self.office = BenchNode(root, "office", "office")
        self.nodes = [self.national, self.relay, self.office]
        # Whether the relay passes on at once what the office pushes (``sync.runs.forward``,
        # on in a real network): off for the figures of each hop, on for the transfers.
        self.relay.env["YIRI_SYNC_FORWARD"] = "1" if forward else "0"
        try:
            ports = {node.port for node in self.nodes}
            for node in (self.national, self.relay):
                node.front(ports)
            for node in self.nodes:
                node.install()
            self.national.py(SETUP_NETWORK)
            for node in (self.national, self.relay):
                node.serve()
            link(self.national, self.relay, "ACE,BTA")
            self.relay.sync()  # configuration and users
            link(self.relay, self.office, "ACE")
            self.office.sync()
        except BaseException:
            self.close()
            raise

    def close(self, keep: bool = False) -> None:
        for node in self.nodes:
            node.close()
        if not keep and self.root.exists():
            shutil.rmtree(self.root)

    def forwarding_done(self) -> bool:
        """Whether the relay has no forwarding run going (read in its database directly:
        a Django process started to ask would cost a second of CPU at every look)."""
        with sqlite3.connect(f"file:{self.relay.dir / 'yiri.sqlite3'}?mode=ro", uri=True,
                             timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM sync_syncrun WHERE finished_at IS NULL"
                              ).fetchone()[0] == 0

    def hop_up(self) -> dict:
        """Office → relay, then relay → national."""
        return {"office_relay": self.office.sync_measured(self.relay),
                "relay_national": self.relay.sync_measured(self.national)}


# -------------------------------------------------------------------------- payload

PREPARE = """
import copy, importlib.util, zlib
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import get_schema
from yiri.formconfig.validation import AnswersInvalid, validate_answers
from yiri.lib.ages import age_on
from yiri.network.models import Location
import datetime as dt

spec = importlib.util.spec_from_file_location("bench_payload", %(payload_py)r)
payload = importlib.util.module_from_spec(spec)
spec.loader.exec_module(payload)
schema = get_schema("case")
communes = {c: sorted(Location.objects.filter(deleted=False, level="commune",
                                               code__startswith=c + "-").values_list("code", flat=True))
            for c in ("BF", "TG")}

def place(code):
    pool = communes[code[:2]]
    return pool[zlib.crc32(code.encode()) %% len(pool)]

SAME = {"nfi": "basic_items", "registration": "civil_registration", "safe_house": "safety"}

def choice(f, value):
    allowed = list(schema.lookups[f.lookup].values)
    if value in allowed:
        return value
    value = SAME.get(value, value)
    return value if value in allowed else allowed[zlib.crc32(value.encode()) %% len(allowed)]

def located(fields, values):
    for code, f in fields.items():
        if values.get(code) is None:
            continue
        if f.type == FieldType.LOCATION:
            values[code] = place(values[code])
        elif f.type == FieldType.SELECT:
            values[code] = choice(f, values[code])
        elif f.type == FieldType.MULTISELECT:
            values[code] = list(dict.fromkeys(choice(f, v) for v in values[code]))

out = []
for i in range(%(count)d):
    a = payload.case_answers(%(seed)d, i)
    located(schema.fields, a)
    for code, f in schema.fields.items():
        if f.type == FieldType.SUBFORM:
            for row in a.get(code) or []:
                located(schema.subform_fields(f), row)
    a["age"] = age_on(dt.date.fromisoformat(a["date_of_birth"]),
                      dt.date.fromisoformat(a["registration_date"]))
    try:
        out.append(validate_answers(schema, a))
    except AnswersInvalid as exc:
        raise SystemExit(f"case {i}: {exc.errors}")
with open(%(path)r, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False)
top = [len([k for k, v in a.items() if schema.fields[k].type != FieldType.SUBFORM]) for a in out]
rows = [sum(len(v) for k, v in a.items() if schema.fields[k].type == FieldType.SUBFORM) for a in out]
size = [len(json.dumps(a, ensure_ascii=False, separators=(",", ":")).encode()) for a in out]
result = {"cases": len(out), "top_level_fields_mean": sum(top) / len(top),
          "subforms": sorted({k for a in out for k, v in a.items()
                              if schema.fields[k].type == FieldType.SUBFORM}),
          "subform_rows_mean": sum(rows) / len(rows),
          "answers_json_utf8_bytes_mean": round(sum(size) / len(size))}
"""

CREATE_ONE = """
from yiri.accounts.models import User
from yiri.cases.services import create_record
answers = json.load(open(%(path)r, encoding="utf-8"))
c = create_record(User.objects.get(username="worker"), "case", answers[%(index)d %% len(answers)])
result = {"id": str(c.pk)}
"""

CREATE_MANY = """
import copy
from yiri.accounts.models import User
from yiri.cases.services import bulk_create_records
answers = json.load(open(%(path)r, encoding="utf-8"))
worker = User.objects.get(username="worker")
start, count, made = %(start)d, %(count)d, 0
for first in range(start, start + count, 1000):
    items = [copy.deepcopy(answers[i %% len(answers)]) for i in range(first, min(first + 1000, start + count))]
    made += len(bulk_create_records(worker, "case", items, validate=%(validate)s))
result = {"created": made}
"""

# One field of a case, the next value of a list each time (always a change), as
# ``morango_peer``'s ``peer_edit --edits-file`` does it: the case is the k-th by id.
EDIT = """
from yiri.accounts.models import User
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.cases.services import update_record
from yiri.formconfig.schema import get_schema
edits = json.load(open(%(path)r, encoding="utf-8"))
worker = User.objects.get(username="worker")
schema = get_schema("case")
ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
done = []
for k, field, choices in edits:
    case = Case.objects.get(pk=ids[k])
    current = identity.read_answers(case, schema).get(field)
    value = choices[(choices.index(current) + 1) %% len(choices)] if current in choices else choices[0]
    update_record(worker, case, {field: value})
    done.append([str(case.pk), field, value])
result = done
"""

VALUE = """
from yiri.cases import identity
from yiri.cases.models import Case
from yiri.formconfig.schema import get_schema
c = Case.objects.filter(pk=%(id)r).first()
result = identity.read_answers(c, get_schema("case")).get(%(field)r) if c else None
"""

COUNT = """
from yiri.cases.models import Case
from yiri.sync.models import Operation
result = {"cases": Case.objects.count(), "operations": Operation.objects.count()}
"""

NOTES = ["Visite à domicile : l'enfant va à l'école, la mère est satisfaite.",
         "Entretien avec l'enfant au centre de transit, il demande des nouvelles de sa sœur.",
         "Appel du chef de village : la famille accepte une médiation la semaine prochaine."]
WEEK_FIELDS = [
    ("risk_level", ["high", "medium", "low"]),
    ("tracing_status", ["open", "tracing_in_progress", "verified", "reunified"]),
    ("care_arrangement_type", ["transit_centre", "foster", "kinship"]),
    ("urgent_protection_concern", [True, False]),
    ("assessment_summary", NOTES),
]


def week_edits(count: int, cases: int) -> list:
    """``count`` one-field edits, the same number on each of ``cases`` cases."""
    return [[i % cases, *WEEK_FIELDS[(i // cases) % len(WEEK_FIELDS)]] for i in range(count)]


def check_tracing_lookup(net: Network) -> None:
    out = net.office.py("""
from yiri.formconfig.schema import get_schema
s = get_schema("case")
result = {f: list(s.lookups[s.fields[f].lookup].values) for f in ("tracing_status", "care_arrangement_type")}
""")["result"]
    for field, choices in WEEK_FIELDS[1:3]:
        missing = [c for c in choices if c not in out[field]]
        if missing:
            raise SystemExit(f"{field}: {missing} not in Yiri's form")


# --------------------------------------------------------------------- measurements


def _brief(hop: dict) -> dict:
    return {k: hop[k] for k in ("bytes", "bytes_up", "bytes_down", "requests", "connections",
                                "seconds", "process_seconds")}


def small_figures(args, payload: Path) -> dict:
    log("yiri: small figures, new network")
    net = Network(args.run_dir / "small")
    try:
        check_tracing_lookup(net)
        out: dict = {}
        log("yiri: payload")
        out["record"] = net.office.py(PREPARE % {"payload_py": str(PAYLOAD_PY), "count": args.distinct,
                                                 "seed": args.seed, "path": str(payload)})["result"]
        log("yiri: no-op syncs")
        noops = [net.hop_up() for _ in range(3)]
        noop = {hop: statistics.median(r[hop]["bytes"] for r in noops)
                for hop in ("office_relay", "relay_national")}
        out["noop_sync"] = {
            hop: {"bytes": noop[hop], "runs": [_brief(r[hop]) for r in noops],
                  "requests": noops[-1][hop]["requests"],
                  "connections": noops[-1][hop]["connections"],
                  "seconds": statistics.median(r[hop]["seconds"] for r in noops),
                  "process_seconds": statistics.median(r[hop]["process_seconds"] for r in noops)}
            for hop in noop}

        log("yiri: one new case")
        net.office.py(CREATE_ONE % {"path": str(payload), "index": 0})
        one = net.hop_up()
        log(f"yiri: {args.new_cases} new cases")
        net.office.py(CREATE_MANY % {"path": str(payload), "start": 1, "count": args.new_cases,
                                     "validate": "True"})
        many = net.hop_up()
        out["new_case"] = {hop: {
            "one_case_sync": _brief(one[hop]),
            "one_case_over_noop": one[hop]["bytes"] - noop[hop],
            f"{args.new_cases}_cases_sync": _brief(many[hop]),
            "bytes_per_case": round((many[hop]["bytes"] - noop[hop]) / args.new_cases),
        } for hop in noop}

        log("yiri: one-field edit")
        edits_file = args.run_dir / "edit-one.json"
        edits_file.write_text(json.dumps([[0, "risk_level", ["high", "medium", "low"]]]))
        (case_id, field, value), = net.office.py(EDIT % {"path": str(edits_file)})["result"]
        edit = net.hop_up()
        seen = net.national.py(VALUE % {"id": case_id, "field": field})["result"]
        out["edit_one_field"] = {hop: {"sync": _brief(edit[hop]),
                                       "over_noop": edit[hop]["bytes"] - noop[hop]}
                                 for hop in noop}
        out["edit_one_field"]["arrived"] = seen == value

        log(f"yiri: a week, {args.week_edits} edits")
        week_file = args.run_dir / "week-edits.json"
        week_file.write_text(json.dumps(week_edits(args.week_edits, args.week_cases)))
        made = net.office.py(EDIT % {"path": str(week_file)})
        # The same week as a bundle file for the relay, written before the sync carries it
        # (an export moves no cursor): what the file costs next to the wire.
        week_bundle = args.run_dir / "week.yiri"
        exported = net.office.bundle_measured("export", "--to", net.relay.node_id,
                                              "--out", str(week_bundle))
        week = net.hop_up()
        empty_bundle = args.run_dir / "empty.yiri"
        net.office.bundle_measured("export", "--to", net.relay.node_id, "--out", str(empty_bundle))
        out["week"] = {"edits": args.week_edits, "cases": args.week_cases,
                       "edit_seconds": round(made["seconds"], 2),
                       **{hop: _brief(week[hop]) for hop in noop},
                       "bundle": {"bytes": week_bundle.stat().st_size, "export": exported}}
        out["empty_bundle"] = {"bytes": empty_bundle.stat().st_size}
        digests = {n.name: n.digest("ACE") for n in (net.office, net.relay, net.national)}
        out["converged"] = len(set(digests.values())) == 1
        out["counts"] = {n.name: n.py(COUNT)["result"] for n in net.nodes}
    finally:
        net.close(keep=args.keep)
    return out


def transfer(args, payload: Path, n: int) -> dict:
    log(f"yiri: N = {n:,}, new network")
    net = Network(args.run_dir / f"n{n}", forward=True)
    try:
        log(f"yiri: N = {n:,}, creating the cases on the office")
        made = net.office.py(CREATE_MANY % {"path": str(payload), "start": 0, "count": n,
                                            "validate": "False"})
        log(f"yiri: N = {n:,}, office → relay, the relay forwarding to the national node")
        national_cpu = net.national.cpu_seconds()
        net.national.proxy.reset()
        net.national.reset_peak()
        t0 = time.perf_counter()
        up = net.office.sync_measured(net.relay)
        while not net.forwarding_done():
            time.sleep(0.1)
        both = time.perf_counter() - t0
        wire = net.national.proxy.snapshot()
        forwarded = {"seconds_after_office": round(both - up["process_seconds"], 2),
                     "server_cpu_seconds": round(net.national.cpu_seconds() - national_cpu, 2),
                     "server_peak_kb": net.national.memory().get("VmHWM"),
                     "bytes": wire["bytes"], "requests": wire["requests"]}
        log(f"yiri: N = {n:,}, office {up['seconds']:.1f} s, at the national node {both:.1f} s; "
            "relay → national (what is left)")
        on = net.relay.sync_measured(net.national)
        log(f"yiri: N = {n:,}, {on['seconds']:.1f} s")
        arrived = net.national.py(COUNT)["result"]["cases"]
        # The same number of new cases again, office → relay by a bundle file this time.
        log(f"yiri: N = {n:,}, creating {n:,} more cases on the office")
        net.office.py(CREATE_MANY % {"path": str(payload), "start": n, "count": n,
                                     "validate": "False"})
        path = args.run_dir / f"n{n}.yiri"
        log(f"yiri: N = {n:,}, bundle export")
        exported = net.office.bundle_measured("export", "--to", net.relay.node_id, "--out", str(path))
        log(f"yiri: N = {n:,}, {exported['seconds']:.1f} s; bundle import")
        imported = net.relay.bundle_measured("import", str(path))
        log(f"yiri: N = {n:,}, {imported['seconds']:.1f} s")
        counts = {node.name: node.py(COUNT)["result"] for node in net.nodes}
        return {"n": n, "create_seconds": round(made["seconds"], 1),
                "create_peak_kb": made["peak_kb"],
                "office_relay": up, "forwarded": forwarded, "relay_national": on,
                "bundle": {"bytes": path.stat().st_size, "export": exported, "import": imported,
                           "arrived": counts["relay"]["cases"] - n},
                "seconds": round(both, 2),
                "arrived": arrived, "counts": counts}
    finally:
        net.close(keep=args.keep)


def run_morango(args, payload: Path, sizes: list[int]) -> dict:
    edits_file = args.run_dir / "week-edits.json"
    if not edits_file.exists():
        edits_file.write_text(json.dumps(week_edits(args.week_edits, args.week_cases)))
    cmd = [args.morango_python, str(HERE / "morango_side.py"), "--payload-file", str(payload),
           "--sizes", ",".join(str(s) for s in sizes), "--directions", "push",
           "--new-cases", str(args.new_cases), "--week-edits-file", str(edits_file),
           "--data-dir", str(args.data_dir)]
    log("morango:", " ".join(cmd[1:]))
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit("morango_side.py failed (see above)")
    (args.run_dir / "morango.json").write_text(done.stdout)
    return json.loads(done.stdout)


# -------------------------------------------------------------------------- summary


def summary(y: dict) -> dict:
    """Yiri's headline figures, named as ``morango_side.py`` names its own."""
    out: dict = {}
    if "noop_sync" in y:
        hop = "office_relay"
        out.update({
            "new_case_bytes": y["new_case"][hop]["bytes_per_case"],
            "new_case_bytes_alone": y["new_case"][hop]["one_case_over_noop"],
            "edit_one_field_bytes": y["edit_one_field"][hop]["sync"]["bytes"],
            "edit_one_field_bytes_over_noop": y["edit_one_field"][hop]["over_noop"],
            "week_edits_bytes": y["week"][hop]["bytes"], "week_edits": y["week"]["edits"],
            "noop_sync_bytes": y["noop_sync"][hop]["bytes"],
            "noop_sync_requests": y["noop_sync"][hop]["requests"],
            "noop_sync_seconds": round(y["noop_sync"][hop]["seconds"], 3),
            "week_bundle_bytes": y["week"]["bundle"]["bytes"],
            "empty_bundle_bytes": y["empty_bundle"]["bytes"],
        })
    out["transfer"] = {
        str(t["n"]): {
            "seconds": t["office_relay"]["seconds"], "two_hops_seconds": t["seconds"],
            "relay_national_seconds": t["relay_national"]["seconds"],
            "client_peak_mb": round(max(t["office_relay"]["client_peak_kb"],
                                        t["relay_national"]["client_peak_kb"]) / 1024, 1),
            "server_peak_mb": round(max(t["office_relay"]["server_peak_kb"],
                                        t.get("forwarded", {}).get("server_peak_kb") or 0,
                                        t["relay_national"]["server_peak_kb"]) / 1024, 1),
            # The relay's (serving the office and forwarding) and the national node's.
            "server_cpu_seconds": round(t["office_relay"]["server_cpu_seconds"]
                                        + t.get("forwarded", {}).get("server_cpu_seconds", 0)
                                        + t["relay_national"]["server_cpu_seconds"], 1),
            "client_cpu_seconds": round(t["office_relay"]["client_cpu_seconds"]
                                        + t["relay_national"]["client_cpu_seconds"], 1),
            "bytes": t["office_relay"]["bytes"], "complete": t["arrived"] == t["n"],
            "bundle_bytes": t["bundle"]["bytes"],
            "bundle_export_seconds": t["bundle"]["export"]["seconds"],
            "bundle_import_seconds": t["bundle"]["import"]["seconds"],
            "bundle_seconds": round(t["bundle"]["export"]["seconds"] + t["bundle"]["import"]["seconds"], 2),
            "bundle_peak_mb": round(max(t["bundle"]["export"]["peak_kb"],
                                        t["bundle"]["import"]["peak_kb"]) / 1024, 1),
            "bundle_complete": t["bundle"]["arrived"] == t["n"]}
        for t in y.get("transfer", [])}
    return out


def _kb(b) -> str:
    if b is None:
        return "–"
    return f"{b:,.0f} B" if abs(b) < 10_000 else (f"{b / 1024:,.1f} KB" if b < 10 * 1024 * 1024
                                                  else f"{b / 1024 / 1024:,.1f} MB")


def _ratio(a, b) -> str:
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.2f}" if a / b >= 0.1 else f"{a / b:.3f}"


def table(ys: dict, ms: dict | None) -> list[tuple]:
    """(figure, Yiri, Morango, ratio, target, met) rows."""
    ms = ms or {}
    rows = []

    def row(name, yv, mv, fmt, target="", met=None):
        rows.append((name, fmt(yv) if yv is not None else "–", fmt(mv) if mv is not None else "–",
                     _ratio(yv, mv), target, "" if met is None else ("yes" if met else "NO")))

    if "new_case_bytes" in ys:
        row("new case, per case (100 in one sync)", ys["new_case_bytes"], ms.get("new_case_bytes"), _kb)
        row("new case, alone (over a no-op sync)", ys["new_case_bytes_alone"],
            ms.get("new_case_bytes_alone"), _kb)
        alone = ys["edit_one_field_bytes_over_noop"] / ys["new_case_bytes_alone"]
        row("one-field edit (over a no-op sync)", ys["edit_one_field_bytes_over_noop"],
            ms.get("edit_one_field_bytes_over_noop"), _kb,
            f"< 20 % of a new case alone ({alone:.0%})", alone < TARGETS["edit_share_of_new_case"])
        row("one-field edit, whole sync", ys["edit_one_field_bytes"], ms.get("edit_one_field_bytes"), _kb)
        weekly = ys["week_edits_bytes"] / ys["week_edits"]
        batch = (ys["week_edits_bytes"] - ys["noop_sync_bytes"]) / ys["week_edits"] / ys["new_case_bytes"]
        row(f"a week: {ys['week_edits']} one-field edits, one sync", ys["week_edits_bytes"],
            ms.get("week_edits_bytes"), _kb, "< 80 KB", ys["week_edits_bytes"] < TARGETS["week_bytes"])
        row("  per edit, in the week's sync", weekly,
            ms["week_edits_bytes"] / ys["week_edits"] if ms.get("week_edits_bytes") else None, _kb,
            f"< 20 % of a new case in a batch ({batch:.0%})", batch < TARGETS["edit_share_of_new_case"])
        row("no-op sync, bytes", ys["noop_sync_bytes"], ms.get("noop_sync_bytes"), _kb, "< 1 KB",
            ys["noop_sync_bytes"] < TARGETS["noop_bytes"])
        row("no-op sync, requests (round trips)", ys["noop_sync_requests"],
            ms.get("noop_sync_requests"), str, "1", ys["noop_sync_requests"] <= 1)
        row("no-op sync, seconds", ys["noop_sync_seconds"], ms.get("noop_sync_seconds"),
            lambda v: f"{v:.2f} s")
        if "week_bundle_bytes" in ys:
            row(f"a week: {ys['week_edits']} one-field edits, as a bundle file", ys["week_bundle_bytes"],
                None, _kb, f"over HTTP: {_kb(ys['week_edits_bytes'])}")
            row("nothing new, as a bundle file", ys["empty_bundle_bytes"], None, _kb,
                f"no-op sync over HTTP: {_kb(ys['noop_sync_bytes'])}")
    mt = ms.get("transfer", {})
    for n, t in ys.get("transfer", {}).items():
        m = mt.get(f"{n}-push", {})
        label = f"{int(n):,} new cases"
        row(f"{label}: seconds, office → relay (one hop)", t["seconds"], m.get("seconds"),
            lambda v: f"{v:.1f} s")
        met = t["two_hops_seconds"] < TARGETS["transfer_10000_seconds"] if n == "10000" else None
        row(f"{label}: seconds, office → relay → national", t["two_hops_seconds"], None,
            lambda v: f"{v:.1f} s", "< 30 s (10,000)" if n == "10000" else "", met)
        row(f"{label}: client peak memory", t["client_peak_mb"], m.get("client_peak_mb"),
            lambda v: f"{v:.0f} MB", "flat")
        row(f"{label}: server peak memory", t["server_peak_mb"], m.get("server_peak_mb"),
            lambda v: f"{v:.0f} MB", "flat")
        row(f"{label}: CPU seconds of the servers, both hops", t["server_cpu_seconds"], None,
            lambda v: f"{v:.1f} s")
        row(f"{label}: bytes, one hop", t["bytes"], m.get("bytes"), _kb)
        if "bundle_bytes" in t:
            row(f"{label}: bundle export + import, office → relay", t["bundle_seconds"], None,
                lambda v: f"{v:.1f} s",
                f"all arrive (export {t['bundle_export_seconds']:.1f} s, import "
                f"{t['bundle_import_seconds']:.1f} s; over HTTP {t['seconds']:.1f} s)", t["bundle_complete"])
            row(f"{label}: bundle file", t["bundle_bytes"], None, _kb, f"over HTTP: {_kb(t['bytes'])}")
            row(f"{label}: bundle, peak memory of export / import", t["bundle_peak_mb"], None,
                lambda v: f"{v:.0f} MB", "flat")
    return rows


def print_table(rows: list[tuple]) -> None:
    head = ("figure", "Yiri", "Morango 0.8.15", "Yiri/Morango", "target", "met")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def main() -> None:
    default_dir = Path(os.environ.get("YIRI_BENCH_DIR") or "/tmp/yiri-bench")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="N changes to carry, comma-separated")
    parser.add_argument("--with-100k", action="store_true", help="add N = 100,000 (slow)")
    parser.add_argument("--new-cases", type=int, default=100)
    parser.add_argument("--week-edits", type=int, default=500)
    parser.add_argument("--week-cases", type=int, default=100)
    parser.add_argument("--distinct", type=int, default=1000, help="distinct cases in the payload")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, default=default_dir)
    parser.add_argument("--skip-small", action="store_true", help="only the N-change transfers")
    parser.add_argument("--skip-yiri", action="store_true",
                        help="only Morango (with the payload of an earlier run)")
    parser.add_argument("--skip-morango", action="store_true")
    parser.add_argument("--morango-json", type=Path, help="a saved morango_side.py output")
    parser.add_argument("--yiri-json", type=Path, help="a saved Yiri result (yiri.json): print again")
    parser.add_argument("--morango-python", default="python3")
    parser.add_argument("--keep", action="store_true", help="keep the node folders")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    args.data_dir = args.data_dir.resolve()
    if args.data_dir == REPO or REPO in args.data_dir.parents:
        parser.error("--data-dir must be outside the repository")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.with_100k and 100000 not in sizes:
        sizes.append(100000)
    args.run_dir = args.data_dir / "yiri-sync"
    args.run_dir.mkdir(parents=True, exist_ok=True)
    payload = args.run_dir / "payload.json"

    result: dict = {"system": "yiri", "setup": {
        "server": "manage.py runserver --noreload (threaded), DEBUG off",
        "database": "SQLite (WAL), one file per node", "seed": args.seed,
        "topology": "office (ACE) -> relay (ACE, BTA) -> national",
        "client": "manage.py sync run --quiet (call_command), a new process per sync"}}
    if args.yiri_json:
        result = json.loads(args.yiri_json.read_text())
    elif not args.skip_yiri:
        if not args.skip_small:
            result.update(small_figures(args, payload))
        elif not payload.exists():
            parser.error(f"{payload} missing: run the small figures once")
        result["transfer"] = [transfer(args, payload, n) for n in sizes]
        result = {"summary": summary(result), **result}
        (args.run_dir / "yiri.json").write_text(json.dumps(result, indent=2))
    morango = None
    if args.morango_json:
        morango = json.loads(args.morango_json.read_text())
    elif not args.skip_morango:
        morango = run_morango(args, payload, sizes)
    rows = table(result.get("summary", {}), (morango or {}).get("summary"))
    out = {"yiri": result, "morango": morango, "table": [
        dict(zip(("figure", "yiri", "morango", "ratio", "target", "met"), r, strict=True))
        for r in rows]}
    if args.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
