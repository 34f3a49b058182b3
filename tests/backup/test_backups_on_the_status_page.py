"""The sync status page shows, for this node and each child node, the age of its last
verified backup ("aucune" when there is none), from the synchronised backup reports; only
to the roles that see the page."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone

from yiri.backup.models import BackupReport
from yiri.sync.models import Peer, PeerRole

from ..web.helpers import client_for, text_of

URL = "/sync/status/"


def report(node_id: str, days: float, *, ok: bool = True, verified: bool = True) -> BackupReport:
    made = timezone.now() - dt.timedelta(days=days)
    r = BackupReport(backup_id=uuid.uuid4(), node_id=node_id, made_at=made, size=1000, ok=ok,
                     verified_at=made + dt.timedelta(minutes=5) if verified else None)
    r.save()
    return r


def section(text: str) -> str:
    return text.split("Sauvegardes", 1)[1].split("Synchroniser maintenant", 1)[0]


def test_the_relay_sees_the_age_of_each_offices_last_verified_backup(cast):
    for node_id, name in (("bureau-kaya", "Bureau de Kaya"), ("bureau-ziniare", "Bureau de Ziniaré"),
                          ("bureau-bobo", "Bureau de Bobo")):
        Peer.objects.create(node_id=node_id, name=name, role=PeerRole.CHILD,
                            organisations=["ACE"])
    report("bureau-kaya", 12)
    report("bureau-kaya", 3.2)
    report("bureau-kaya", 1, ok=False)           # its verification failed: not counted
    report("bureau-ziniare", 0.5, verified=False)  # made, never verified: not counted
    report(settings.YIRI_NODE_ID, 1.5)
    page = client_for(cast.relay).get(URL)
    assert page.status_code == 200
    text = section(text_of(page))
    assert "Ce nœud — dernière sauvegarde vérifiée : il y a 1 jour" in text
    assert "Bureau de Kaya — dernière sauvegarde vérifiée : il y a 3 jours" in text
    assert "Bureau de Ziniaré — dernière sauvegarde vérifiée : aucune" in text
    assert "Bureau de Bobo — dernière sauvegarde vérifiée : aucune" in text


def test_a_backup_made_today_reads_today(cast):
    report(settings.YIRI_NODE_ID, 0.1)
    text = section(text_of(client_for(cast.admin).get(URL)))
    assert "Ce nœud — dernière sauvegarde vérifiée : aujourd'hui" in text


def test_the_backup_ages_are_not_shown_to_those_without_the_status_right(cast):
    report(settings.YIRI_NODE_ID, 2)
    for user in (cast.outsider, cast.worker, cast.manager, cast.provider, cast.partner):
        page = client_for(user).get(URL)
        assert page.status_code == 403, user
        assert "dernière sauvegarde" not in page.content.decode()
    assert client_for(cast.coordinator).get(URL).status_code == 200
