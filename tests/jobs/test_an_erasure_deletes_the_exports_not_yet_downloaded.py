"""An erasure reaches the exports not yet downloaded (issue 9, item 11): their archives,
which may hold the child, are deleted when it is executed, and an export running across
it keeps no file. The owner is told to export again."""

from __future__ import annotations

import pytest

from yiri.cases.erasure import approve_erasure, request_erasure
from yiri.jobs import exports
from yiri.jobs.models import Job
from yiri.jobs.services import file_path

from ..cases.test_erasure import canary_case, closed, second_manager  # noqa: F401 (fixture)
from .helpers import work


def erase(approver, requester, case, capture) -> None:
    """Execute the erasure of ``case`` and what it leaves for after its commit; the
    test's transaction never commits, and SQLite's checkpoint cannot run inside it."""
    with capture() as callbacks:
        approve_erasure(approver, request_erasure(requester, case, "retention"))
    after = [c for c in callbacks if c.__name__ == "_discard_waiting_exports"]
    assert after
    for callback in after:
        callback()


@pytest.fixture
def jobs_dir(settings, tmp_path):
    settings.YIRI_JOBS_DIR = tmp_path / "jobs"
    return settings.YIRI_JOBS_DIR


def test_an_export_waiting_for_its_download_is_deleted_by_an_erasure(
        cast, jobs_dir, second_manager, django_capture_on_commit_callbacks):  # noqa: F811
    case = closed(cast, canary_case(cast))
    job = exports.start(cast.manager, {})
    work()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and file_path(job) is not None
    archive = file_path(job)

    erase(second_manager, cast.manager, case, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert not archive.exists() and file_path(job) is None
    assert job.sealed_secret == "" and "Relancez l'export" in job.message


def test_a_downloaded_export_is_left_alone_and_a_later_one_is_kept(
        cast, jobs_dir, second_manager, django_capture_on_commit_callbacks):  # noqa: F811
    case = closed(cast, canary_case(cast))
    erase(second_manager, cast.manager, case, django_capture_on_commit_callbacks)
    job = exports.start(cast.manager, {})
    work()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and file_path(job) is not None


def test_an_export_running_across_an_erasure_keeps_no_file(
        cast, jobs_dir, second_manager, monkeypatch):  # noqa: F811
    from yiri.cases.export import Plan

    case = closed(cast, canary_case(cast))
    job = exports.start(cast.manager, {})
    rows = Plan.rows

    def rows_with_an_erasure_landing(plan):  # the real erasure, while the rows are read
        approve_erasure(second_manager, request_erasure(cast.manager, case, "retention"))
        yield from rows(plan)

    monkeypatch.setattr(Plan, "rows", rows_with_an_erasure_landing)
    work()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "effacé pendant l'export" in job.error
    assert file_path(job) is None and not any(jobs_dir.glob("**/export-*"))
