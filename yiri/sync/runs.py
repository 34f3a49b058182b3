"""Exchanges with the parent in the background: the status page's "Synchroniser
maintenant", and a relay forwarding what its children push.

The status page starts a run (``start``); a thread calls ``transport.sync_with`` and
writes its progress into a ``SyncRun`` row after each exchange, which the page polls. The
row lives in the database, so any process serving the page reads it, and only one run
goes at a time. A run whose process stopped (a restart) is taken as over after
``STALE_AFTER``.

A node with a parent that receives operations from a child passes them on at once
(``forward``, called by the exchange view and by a bundle import): the same run, started
by nobody. If one is going already it is asked to go round again before it ends
(``SyncRun.again``), so what arrives while it works is not left for the next scheduled
sync. The office's data thus reaches the national node while the office is still
sending, not one scheduled sync later per hop. ``YIRI_SYNC_FORWARD=0`` turns it off.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import scope
from .models import Peer, SyncRun
from .transport import Progress, SyncError, sync_with

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=30)
# Set to False by tests: the run happens inside the request that starts it.
BACKGROUND = True


class RunRefused(Exception):
    """The run cannot start; the message says why, in French."""


def current() -> SyncRun | None:
    """The run in progress, if any."""
    return (SyncRun.objects.filter(finished_at__isnull=True,
                                   started_at__gte=timezone.now() - STALE_AFTER)
            .order_by("-started_at", "-id").first())


def latest() -> SyncRun | None:
    return SyncRun.objects.order_by("-started_at", "-id").first()


def is_running(run: SyncRun | None) -> bool:
    return bool(run and run.finished_at is None and run.started_at >= timezone.now() - STALE_AFTER)


# A forwarding run that failed (the parent unreachable) is not tried again for this
# long: the children's pushes must not each wait on a dead line.
FORWARD_PAUSE = dt.timedelta(minutes=2)


def forward() -> None:
    """Pass on to the parent what a child has just pushed (see the module's docstring)."""
    if not getattr(settings, "YIRI_SYNC_FORWARD", True):
        return
    parent = scope.parent_peer()
    if parent is None or parent.revoked:
        return
    with transaction.atomic():
        running = current()
        if running is not None:
            SyncRun.objects.filter(pk=running.pk).update(again=True)
            return
        failed = latest()
        if (failed and failed.error and failed.started_by_id is None
                and failed.finished_at and failed.finished_at > timezone.now() - FORWARD_PAUSE):
            return
        run = SyncRun.objects.create(peer_id=parent.node_id, started_by_id=None)
        if BACKGROUND:
            transaction.on_commit(lambda: _spawn(run.pk))
    if not BACKGROUND:
        execute(run.pk)


def _spawn(run_id: int) -> None:
    """Run ``manage.py sync forward`` in a process of its own. Not a thread of the server:
    the server is applying the children's chunks meanwhile, and two busy threads of one
    Python process take turns on its interpreter lock at every database call (measured:
    a chunk applied three times slower). The process writes its progress and its end
    into the ``SyncRun`` row like a thread would."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "sync", "forward", str(run_id)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Reaped when it ends (no zombie left behind by a long-running server).
    threading.Thread(target=_reap, args=(proc, run_id), name="yiri-sync-forward-wait",
                     daemon=True).start()


def _reap(proc: subprocess.Popen, run_id: int) -> None:
    """Wait for a forwarding process; if it died without closing its run (it could not
    start), close it with an error rather than let it block the next ones for
    ``STALE_AFTER``."""
    if proc.wait() == 0:
        return
    try:
        SyncRun.objects.filter(pk=run_id, finished_at__isnull=True).update(
            finished_at=timezone.now(),
            error=_("La transmission au nœud parent n'a pas pu démarrer (code %(code)s) : "
                    "voyez le journal du serveur.") % {"code": proc.returncode})
    finally:
        connection.close()


def start(user) -> SyncRun:
    """Start a synchronisation with this node's parent, as ``user``."""
    parent = scope.parent_peer()
    if parent is None:
        raise RunRefused(_("Ce nœud n'a pas de nœud parent : il n'a personne à appeler. Ce sont "
                           "ses nœuds enfants qui se synchronisent avec lui."))
    with transaction.atomic():
        if current() is not None:
            raise RunRefused(_("Une synchronisation est déjà en cours : attendez qu'elle se "
                               "termine."))
        run = SyncRun.objects.create(peer_id=parent.node_id, started_by_id=user.pk)
        if BACKGROUND:
            # After the commit: the thread's connection must see the row.
            transaction.on_commit(lambda: threading.Thread(
                target=_background, args=(run.pk,), name="yiri-sync-now", daemon=True).start())
    if not BACKGROUND:
        execute(run.pk)
        run.refresh_from_db()
    return run


def _background(run_id: int) -> None:
    close_old_connections()
    try:
        execute(run_id)
    finally:
        connection.close()  # this thread's own connection


def execute(run_id: int) -> None:
    """Run the exchanges of run ``run_id`` and record how far they went."""
    run = SyncRun.objects.get(pk=run_id)

    def progress(state: Progress) -> None:
        SyncRun.objects.filter(pk=run_id).update(
            sent=state.sent, to_send=max(state.to_send, state.sent), received=state.received,
            to_receive=max(state.to_receive, state.received), exchanges=state.exchanges)

    error = ""
    try:
        peer = Peer.objects.get(node_id=run.peer_id)
        SyncRun.objects.filter(pk=run_id).update(to_send=scope.pending_count(peer, peer.sent_upto))
        while True:
            progress(sync_with(peer, progress=progress, retries=2))
            # Ends only if nobody asked for another round meanwhile (one statement: a
            # child's push either sees the run finished, or has set ``again`` first).
            if SyncRun.objects.filter(pk=run_id, again=False).update(finished_at=timezone.now()):
                return
            SyncRun.objects.filter(pk=run_id).update(again=False)
            peer.refresh_from_db()
    except Peer.DoesNotExist:
        error = _("Le nœud parent n'est plus enregistré sur ce nœud.")
    except SyncError as exc:
        error = str(exc)  # already French, and says what to do
    except Exception as exc:  # noqa: BLE001 — shown on the page, never a silent failure
        # The class only: a message could quote data.
        log.error("Synchronisation lancée depuis la page d'état : échec (%s)",
                  exc.__class__.__name__)
        error = _("La synchronisation s'est arrêtée sur une erreur inattendue (%(kind)s). "
                  "Réessayez plus tard ; si cela se répète, prévenez l'administrateur.") % {
                      "kind": exc.__class__.__name__}
    SyncRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=error)
