"""Server time, queries and bytes of the home page for one user of each seeded role.

Each role's home reads different things (a case worker's tasks, a relay cell's counts by
region and status, a partner's rounded counts). Run it on a demo database:

    python manage.py load_demo --cases 20000
    python bench/bench_home.py                  # 5 runs per role, the median printed

Measured on the 20,000-case SQLite demo database (2 shared cores, 5 runs):

    role                    bytes  queries   ms
    administrator           6,176       15   98
    manager                 6,997       29  100
    case_worker             9,178       17   82
    service_provider        4,930       16   58
    relay_data_manager      6,563       20  232   (the cell's scope filter, in the counts and the latest changes)
    national_coordinator    9,681       13   71
    partner_viewer          4,374       10   49
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from yiri.accounts.models import User  # noqa: E402
from yiri.accounts.roles import SEEDED_ROLES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    print(f"{'role':22} {'user':22} {'bytes':>7} {'queries':>7} {'ms':>5}")
    for code in SEEDED_ROLES:
        user = User.objects.filter(role__code=code, is_active=True).order_by("username").first()
        if user is None:
            print(f"{code:22} (no user)")
            continue
        client = Client()
        client.force_login(user)
        client.get("/")  # warm caches (schema, translations)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        print(f"{code:22} {user.username:22} {len(response.content):7,} {len(queries):7} "
              f"{statistics.median(times):5.0f}")


if __name__ == "__main__":
    main()
