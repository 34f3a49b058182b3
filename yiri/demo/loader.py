"""Writing the demo network and cases through the ordinary service functions.

Cases go through ``bulk_create_records`` (change log, search tokens, audit) in batches of
one transaction each, so a million cases stream in constant memory.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from yiri.cases.models import RECORD_MODELS, Case, NameToken, RecordShare
from yiri.cases.services import assign_record, bulk_create_records
from yiri.formconfig.schema import clear_cache, get_schema
from yiri.formconfig.validation import validate_answers
from yiri.lib import spreadsheet
from yiri.network.models import Location
from yiri.network.reference import seed_reference_data
from yiri.network.services import local_node
from yiri.sync.models import Operation, raw_writes

from .generator import CaseGenerator, GeneratedCase, Places
from .network import AGENCIES, DemoNetwork

VALIDATE_ALL_UP_TO = 10_000  # beyond, validate a sample and trust the generator for the rest
SAMPLE_EVERY = 1000


class GeneratorBug(Exception):
    """The generator emitted answers that validation would change or refuse."""


@dataclass
class LoadReport:
    cases: int = 0
    incidents: int = 0
    tracing_requests: int = 0
    assigned: int = 0
    duplicates: int = 0
    validated: int = 0
    seconds: float = 0.0
    stages: Counter = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def ensure_reference_data() -> None:
    """Locations, forms and roles, seeded once (never overwritten); and this node's row."""
    seed_reference_data()
    local_node()
    clear_cache()


def demo_places() -> Places:
    by_agency = {}
    for spec in AGENCIES:
        codes: list[str] = []
        for region in Location.objects.filter(code__in=spec.regions).order_by("code"):
            codes += Location.objects.filter(
                level__in=["commune", "village"], deleted=False, path__startswith=region.path,
            ).order_by("code").values_list("code", flat=True)
        by_agency[spec.code] = codes
    villages = {
        country: list(Location.objects.filter(level="village", deleted=False,
                                              path__startswith=f"{country}/")
                      .order_by("code").values_list("code", flat=True))
        for country in ("BF", "TG")
    }
    return Places(by_agency, villages)


def wipe_case_data() -> dict[str, int]:
    """Delete every record, its change log, shares and search tokens (benchmarks only).

    Rows of other apps pointing at records (approvals, referrals…) go first, through the
    ORM so their own dependants follow.
    """
    targets = {*RECORD_MODELS.values(), RecordShare}
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model in apps.get_models():
            if model in targets:
                continue
            for f in model._meta.get_fields():
                if f.many_to_one and f.concrete and f.related_model in targets:
                    with raw_writes():
                        deleted, _ = model.objects.filter(**{f"{f.name}__isnull": False}).delete()
                    counts[model._meta.label] = counts.get(model._meta.label, 0) + deleted
        types = list(RECORD_MODELS)
        for label, qs in (
            ("tokens", NameToken.objects.filter(record_type__in=types)),
            ("shares", RecordShare.objects.filter(record_type__in=types)),
            ("operations", Operation.objects.filter(entity__in=[*types, "record_share"])),
            *((m.RECORD_TYPE, m.objects.all()) for m in RECORD_MODELS.values() if m is not Case),
            ("case", Case.objects.all()),
        ):
            counts[label] = qs._raw_delete(qs.db)
    return counts


def _check_sample(schema, item: GeneratedCase) -> None:
    cleaned = validate_answers(schema, item.answers)
    if cleaned != item.answers:
        changed = sorted(k for k in item.answers.keys() | cleaned.keys()
                         if item.answers.get(k) != cleaned.get(k))
        raise GeneratorBug(f"case {item.index}: validation changes {', '.join(changed)}")


def load_cases(
    network: DemoNetwork, n: int, *, seed: int, today: dt.date | None = None,
    batch_size: int = 5000, validate: bool | None = None, truth_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Generate ``n`` cases (plus a few incidents and tracing requests linked to them).

    ``validate`` None means: every case when ``n`` is small, else one in a thousand, and
    a sampled case that validation would change stops the run (``GeneratorBug``).
    """
    today = today or timezone.localdate()
    validate_all = n <= VALIDATE_ALL_UP_TO if validate is None else validate
    gen = CaseGenerator(seed, today, demo_places(),
                        {code: len(ws) for code, ws in network.workers.items()},
                        batch_size=batch_size)
    if connection.vendor == "sqlite":
        # Random UUID keys land all over the indexes; SQLite's 2 MB default page cache
        # turns each insert into disk reads once the file outgrows it.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    schema = get_schema("case")
    report = LoadReport()
    now = timezone.now()
    started = time.monotonic()
    linked: tuple[list, list] = ([], [])  # cases of the first batch to link records to
    truth = open(truth_file, "w", newline="", encoding="utf-8") if truth_file else None
    writer = spreadsheet.writer(truth) if truth else None
    if writer:
        writer.writerow(["original", "duplicate"])
    try:
        for start in range(0, n, batch_size):
            batch = [gen.case(i) for i in range(start, min(n, start + batch_size))]
            if not validate_all:
                for item in batch:
                    if item.index % SAMPLE_EVERY == 0:
                        _check_sample(schema, item)
                        report.validated += 1
            by_owner: dict[tuple[str, int], list[GeneratedCase]] = defaultdict(list)
            for item in batch:
                by_owner[(item.agency, item.worker)].append(item)
            written: dict[int, Case] = {}
            with transaction.atomic():
                for (code, worker), items in sorted(by_owner.items()):
                    owner = network.workers[code][worker]
                    records = bulk_create_records(
                        owner, "case", [i.answers for i in items], validate=validate_all,
                        created_at=[min(i.created_at, now) for i in items],
                        meta=[{"status": i.status, "workflow_stage": i.workflow_stage}
                              for i in items],
                    )
                    for item, record in zip(items, records, strict=True):
                        item.registration.short_id = record.short_id
                        written[item.index] = record
                for item in batch:
                    if item.assign:
                        owner = network.workers[item.agency][item.worker]
                        assign_record(network.team_manager(owner), written[item.index],
                                      network.providers[item.agency])
                        report.assigned += 1
            for item in batch:
                report.stages[item.workflow_stage] += 1
                if item.duplicate_of is not None:
                    report.duplicates += 1
                    if writer:
                        writer.writerow([item.duplicate_of.short_id, item.registration.short_id])
            if start == 0:
                linked = _pick_linked([(item, written[item.index]) for item in batch], n)
            report.cases += len(batch)
            if validate_all:
                report.validated += len(batch)
            reset_queries()  # with DEBUG on, Django would keep every INSERT in memory
            if progress:
                elapsed = time.monotonic() - started
                progress(f"{report.cases:>9,} / {n:,} dossiers  {report.cases / elapsed:,.0f}/s")
    finally:
        if truth:
            truth.close()
    report.incidents, report.tracing_requests = _linked_records(network, gen, *linked)
    report.seconds = time.monotonic() - started
    return report


def _pick_linked(kept: list[tuple[GeneratedCase, Case]], n: int) -> tuple[list, list]:
    """A handful of cases to write an incident about, and a handful a family looks for."""
    count = max(3, min(n // 100, 200))
    harmed = [k for k in kept if k[0].exploitation or {"physically_abused", "sexually_exploited",
              "gbv_survivor", "child_marriage"} & set(k[0].extras["concerns"])] or kept
    lost = [k for k in kept if {"separated", "unaccompanied", "trafficked"}
            & set(k[0].extras["concerns"])] or kept
    return ([harmed[i * len(harmed) // count] for i in range(min(count, len(harmed)))],
            [lost[i * len(lost) // count] for i in range(min(count, len(lost)))])


def _linked_records(network: DemoNetwork, gen: CaseGenerator, incidents: list,
                    traced: list) -> tuple[int, int]:
    """Write the incidents and tracing requests, each linked to its case."""
    with transaction.atomic():
        by_owner: dict = defaultdict(list)
        for item, case in incidents:
            by_owner[network.workers[item.agency][item.worker]].append((item, case))
        for owner, pairs in by_owner.items():
            bulk_create_records(
                owner, "incident", [gen.incident(item) for item, _ in pairs], validate=True,
                created_at=[case.created_at for _, case in pairs],
                meta=[{"case_id": case.pk} for _, case in pairs],
            )
        # The family asks an organisation near home, not the one that found the child.
        by_owner = defaultdict(list)
        for item, case in traced:
            home = item.registration.child.nationality.upper()
            others = [a.code for a in AGENCIES if a.country == home and a.code != item.agency]
            code = others[item.index % len(others)]
            by_owner[network.workers[code][item.index % len(network.workers[code])]].append(
                (item, case))
        for owner, pairs in by_owner.items():
            bulk_create_records(
                owner, "tracing_request", [gen.tracing_request(item) for item, _ in pairs],
                validate=True, created_at=[case.created_at for _, case in pairs],
                meta=[{"case_id": case.pk} for _, case in pairs],
            )
    return len(incidents), len(traced)
