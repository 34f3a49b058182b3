"""The status page's "Synchroniser maintenant": the exchanges with the parent, in the
background.

The status page starts a run (``start``); a thread calls ``transport.sync_with`` and
writes its progress into a ``SyncRun`` row after each exchange, which the page polls. The
row lives in the database, so any process serving the page reads it, and only one run
goes at a time. A run whose process stopped (a restart) is taken as over after
``STALE_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

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
        progress(sync_with(peer, progress=progress, retries=2))
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
