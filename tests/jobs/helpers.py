"""Running the queued jobs as a worker does, and following an export through the pages."""

from __future__ import annotations

import csv
import io
import re

from django.core.management import call_command

from yiri.jobs.exports import read_archive
from yiri.jobs.models import Job

from ..web.helpers import client_for


def work() -> None:
    """Take every queued job, as the worker the server starts does (``db_worker --batch``),
    in this process. Its ``close_old_connections`` between tasks is left out, as Django's
    test client leaves it out between requests: it would close the test's transaction."""
    from django_tasks_db.management.commands import db_worker

    closer = db_worker.close_old_connections
    db_worker.close_old_connections = lambda: None
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0,
                     stdout=io.StringIO(), stderr=io.StringIO())
    finally:
        db_worker.close_old_connections = closer


PASSWORD_RE = re.compile(r"data-secret>([A-Z0-9-]+)<")


def export_through_the_pages(user, query: str = "", fmt: str = "csv", lang: str = "fr"):
    """Ask for an export as ``user`` on the page, run the worker, read the job's page;
    returns ``(client, job, password shown, archive bytes)``."""
    client = client_for(user)
    page = client.get(f"/cases/export/{query}")
    assert page.status_code == 200, page.status_code
    data = {"format": fmt, "lang": lang}
    for key, value in page.context["filters"].items():
        data[key] = value
    started = client.post("/cases/export/", data)
    assert started.status_code == 302, started.status_code
    job = Job.objects.get(pk=int(started["Location"].rstrip("/").split("/")[-1]))
    work()
    shown = client.get(f"/jobs/{job.pk}/").content.decode()
    found = PASSWORD_RE.search(shown)
    password = found.group(1) if found else ""
    download = client.get(f"/jobs/{job.pk}/download/")
    archive = download.content if download.status_code == 200 else b""
    job.refresh_from_db()
    return client, job, password, archive


def rows_of(archive: bytes, password: str) -> list[dict]:
    (content,) = read_archive(archive, password).values()
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))
