#!/usr/bin/env python
"""The import of 100,000 cases from a spreadsheet on SQLite (issue 11, item 4: under 2
minutes).

    .venv/bin/python bench/bench_import.py                    # 100,000 rows, CSV
    .venv/bin/python bench/bench_import.py --rows 100000 --xlsx
    .venv/bin/python bench/bench_import.py --rows 5000        # quick

A fresh SQLite database in a temporary data folder (``--data-dir``, default
``$YIRI_BENCH_DIR`` or the system's temporary folder; never the repository): migrate, the
reference data, one organisation and its administrator. Then a file of ``--rows`` children
as a register keeps them (a number, given name, family name, sex as a French label, age,
date of birth for some, registration date as DD/MM/YYYY, place by code, phone;
Burkinabè and Togolese names from ``demo.people``), uploaded, mapped, checked (the
preview) and imported through ``imports.services``, each step timed; then the same file
imported again (nothing created). Prints rows/s per step.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADERS = ["N° dossier", "Prénom", "Nom", "Sexe", "Âge", "Date de naissance",
           "Date d'enregistrement", "Localité actuelle", "Téléphone"]
MAPPING = {"N° dossier": "@external_id", "Prénom": "name_first", "Nom": "name_last",
           "Sexe": "sex", "Âge": "age", "Date de naissance": "date_of_birth",
           "Date d'enregistrement": "registration_date", "Localité actuelle": "location_current",
           "Téléphone": "phone"}


def rows(n: int, places: list[str], seed: int = 42):
    from yiri.demo import people
    from yiri.lib.ages import age_on

    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)
    for i in range(1, n + 1):
        togo = rng.random() < 0.35
        family = people.TG_FAMILY if togo else people.BF_FAMILY
        first = people.TG_FIRST if togo else people.BF_FIRST
        group = rng.choices(list(family), weights=[w for _, w in family.values()])[0]
        sex = rng.choice(["female", "male"])
        registered = today - dt.timedelta(days=rng.randint(0, 5 * 365))
        born = registered - dt.timedelta(days=rng.randint(365, 17 * 365))
        known_birth = rng.random() < 0.4
        phone = f"{rng.choice([70, 71, 76, 90, 91, 99])}{rng.randint(0, 999999):06d}" \
            if rng.random() < 0.5 else ""
        yield [f"REG-{i:06d}", rng.choice(first[sex]), rng.choice(family[group][0]),
               "Féminin" if sex == "female" else "Masculin", age_on(born, registered),
               born.isoformat() if known_birth else "", registered.strftime("%d/%m/%Y"),
               rng.choice(places), phone]


def make_file(n: int, places: list[str], xlsx: bool) -> bytes:
    if xlsx:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADERS)
        for r in rows(n, places):
            sheet.append(r)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    w = csv.writer(out, delimiter=";")
    w.writerow(HEADERS)
    w.writerows(rows(n, places))
    return out.getvalue().encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="an XLSX file instead of CSV")
    parser.add_argument("--profile", action="store_true",
                        help="print where the preview and the import spend their time")
    parser.add_argument("--data-dir", default=os.environ.get("YIRI_BENCH_DIR",
                                                             tempfile.gettempdir()))
    args = parser.parse_args()
    base = Path(args.data_dir).resolve()
    if ROOT in [base, *base.parents]:
        sys.exit("--data-dir must be outside the repository")
    base.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="yiri-bench-import-", dir=base))
    os.environ["YIRI_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")

    import django

    django.setup()
    from django.core.management import call_command

    from yiri.accounts.models import Role, User
    from yiri.cases.models import Case
    from yiri.imports.services import check_batch, create_batch, run_import, set_mapping
    from yiri.network.models import Agency, Location
    from yiri.network.reference import seed_reference_data

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    seed_reference_data()
    print(f"database ready in {time.perf_counter() - t:.0f} s ({data_dir})")
    bf = Location.objects.get(code="BF")
    agency = Agency.objects.create(code="BENCH", name="Organisation du banc d'essai", country=bf)
    admin = User.objects.create_user("bench-admin", role=Role.objects.get(code="administrator"),
                                     agency=agency)
    places = list(Location.objects.filter(level__in=["commune", "village"])
                  .values_list("code", flat=True))
    t = time.perf_counter()
    data = make_file(args.rows, places, args.xlsx)
    print(f"file: {args.rows:,} rows, {'XLSX' if args.xlsx else 'CSV'}, {len(data) / 2**20:.1f} MB, "
          f"made in {time.perf_counter() - t:.1f} s")

    def step(name: str, fn, *a):
        import cProfile
        import pstats

        profile = cProfile.Profile() if args.profile and "re-import" not in name else None
        t, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        out = fn(*a)
        s, cpu = time.perf_counter() - t, time.process_time() - cpu
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("SORT", "tottime")).print_stats(int(os.environ.get("TOP", "25")))
        print(f"{name:28} {s:8.1f} s  {args.rows / s:10,.0f} rows/s   (CPU of this process "
              f"{cpu:.1f} s)")
        return out, s

    name = "register.xlsx" if args.xlsx else "register.csv"
    batch, s_up = step("upload (seal, read headers)", create_batch, admin, "case", name, data)
    set_mapping(admin, batch, MAPPING)
    _, s_check = step("preview (check every row)", check_batch, batch)
    assert batch.error_rows == 0, batch.errors[:3]
    _, s_import = step("import (check again, write)", run_import, batch)
    assert Case.objects.count() == args.rows
    print(f"{'upload + preview + import':28} {s_up + s_check + s_import:8.1f} s")
    again, _ = step("re-import: upload", create_batch, admin, "case", name, data)
    set_mapping(admin, again, MAPPING)
    step("re-import: preview", check_batch, again)
    step("re-import: import", run_import, again)
    print(f"re-import created {again.created_count} (skipped {again.skipped_rows:,}); "
          f"cases now {Case.objects.count():,}")


if __name__ == "__main__":
    main()
