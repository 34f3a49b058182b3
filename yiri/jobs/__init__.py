"""Background jobs with progress (issue 11, item 5).

One mechanism for every long piece of work: exports, batch deduplication, re-encryption of
the data at rest, and imports of large files. A job is a ``Job`` row (kind, owner, status,
done/total, message, result, error in French) and a task of ``django-tasks`` whose
database backend (``django-tasks-db``) queues it in the same database: no broker. A
national node may point ``TASKS`` at another backend of that interface (Redis/RQ…).

The interface, for a new kind of job (e.g. ``yiri/imports``)::

    from yiri import jobs

    # once, at import time of a module loaded at start-up (an app's ``ready``), or here in
    # ``services.KINDS``: the name, the dotted path of the function, a French label.
    jobs.register("import", "yiri.imports.jobs.run", _("Import de dossiers"))

    def run(job, progress):            # in yiri/imports/jobs.py
        rows = job.params["rows"]       # JSON given to enqueue: codes, never names
        for n, row in enumerate(rows, 1):
            ...
            progress(n, len(rows), _("Lignes importées"))
        return {"imported": n}          # a summary (counts), shown on the job's page

    job = jobs.enqueue("import", {"upload": 12}, request.user)   # from a view
    return redirect("job_detail", job.pk)                          # its page, with the bar

``run`` raises ``jobs.JobFailed("message en français")`` to fail with a message a person
can act on; any other exception fails the job with a generic French message (its class
name only in the log: no personal data). ``jobs.run_here(kind, params, user,
printer=jobs.Bar(self.stdout))`` runs a job in the current process with the same
progress drawn in the terminal (the management commands).

Workers: ``enqueue`` starts ``manage.py db_worker --batch`` in a process of its own once
the transaction commits, when none started by this server is alive (``worker.ensure``), so
an office laptop running ``run.sh`` needs nothing more; with ``YIRI_JOBS_START_WORKER=0``
(a national node) a permanently running ``manage.py db_worker`` takes the jobs. A running
job whose process is gone (same machine: its pid; else no progress for ``STALE_AFTER``) is
shown and recorded as failed.
"""

from __future__ import annotations


def __getattr__(name):
    # The public API lives in ``services`` (which needs the app registry): loaded lazily so
    # that ``import yiri.jobs`` works from settings and ``apps.py``.
    import importlib

    if name.startswith("__") or name in ("services", "terminal", "models", "tasks", "worker",
                                         "views", "urls", "exports", "secret", "apps"):
        raise AttributeError(name)
    if name == "Bar":
        return importlib.import_module("yiri.jobs.terminal").Bar
    services = importlib.import_module("yiri.jobs.services")
    if name in services.__all__:
        return getattr(services, name)
    raise AttributeError(name)
