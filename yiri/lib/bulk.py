"""Many rows of one model inserted by one prepared statement.

Django's ``bulk_create`` builds an ``INSERT … VALUES (…), (…)`` per batch, and on SQLite a
batch holds at most 999 parameters: about twenty rows of a case (fifty columns), so a
100,000-row import compiled some 5,000 statements, a quarter of its time (bench/README.md,
``bench_import``). Here the statement is built once and run with ``executemany``; every
value still goes through its field's ``pre_save`` and ``get_db_prep_save``, as in
``Model.save`` and ``bulk_create``, so what is stored is the same. Django has no public
call for this (``bulk_create`` is the nearest): our own, a few lines.

Only for tables whose primary key is set before the insert (a UUID made in Python): ids
made by the database would not come back onto the objects.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model

CHUNK = 5000  # rows a call to executemany (memory for the parameters, not a database limit)


def insert_many(model: type[Model], objs: Sequence[Model]) -> None:
    """INSERT ``objs`` (instances of ``model``, primary keys set) in one statement run once
    per row. No signal is sent (as ``bulk_create``). Call inside a transaction."""
    if not objs:
        return
    opts = model._meta
    if opts.pk.attname and any(getattr(o, opts.pk.attname) is None for o in objs):
        raise ValueError(f"insert_many: every {model.__name__} needs its primary key set")
    guard = getattr(model._default_manager, "require_logged_create", None)
    if guard is not None:
        guard()  # a synced table: only inside the write path (``sync.models.record_writes``)
    connection = connections[router.db_for_write(model)]
    fields = [f for f in opts.local_concrete_fields if not getattr(f, "generated", False)]
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # nosec B608: names from the model
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        for start in range(0, len(objs), CHUNK):
            rows = []
            for obj in objs[start:start + CHUNK]:
                obj._prepare_related_fields_for_save(operation_name="insert_many")
                rows.append([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
            cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
