"""The password of an export is drawn by the server, sealed in the job's row until its
owner's page shows it, then emptied: it is never in clear in any table (nor in the task
queue's), nor in the log."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import connection

from yiri.jobs.models import Job

from ..conftest import make_case
from .helpers import export_through_the_pages


def every_value_in_the_database() -> str:
    out = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            if table not in connection.introspection.table_names():
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 — table names from the models
            out.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(out)


def test_the_password_is_in_no_table_and_no_log_line(cast, settings, tmp_path, caplog):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    caplog.set_level(logging.DEBUG)
    make_case(cast.worker)
    _client, job, password, archive = export_through_the_pages(cast.manager)
    assert password and archive
    dump = every_value_in_the_database()
    queue = apps.get_model("django_tasks_database", "DBTaskResult")
    assert queue.objects.filter(args_kwargs__args=[job.pk]).exists()  # the queue was read too
    assert password not in dump and password.replace("-", "") not in dump
    assert password not in caplog.text
    assert Job.objects.get(pk=job.pk).sealed_secret == ""


def test_before_it_is_shown_the_password_is_sealed_not_in_clear(cast, settings, tmp_path):
    from yiri.jobs import exports, services

    from .helpers import work

    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    make_case(cast.worker)
    job = exports.start(cast.manager, {}, "csv", "fr")
    work()
    job.refresh_from_db()
    assert job.sealed_secret
    password = services.take_secret(job)
    assert len(password) == 29 and password not in job.sealed_secret
    assert services.take_secret(job) == ""  # once
