"""The synchronisation status page: peers with their last contact, what waits for them and
their last error, conflicts to resolve, quarantined operations with their French reason
naming the node, and "Synchroniser maintenant" with its progress. Only for the roles with
``view_sync``."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yiri.audit.models import AuditAction, AuditEvent
from yiri.sync import runs
from yiri.sync.models import Peer, PeerRole, Quarantine, SyncRun
from yiri.sync.transport import Progress, SyncError

from ..conftest import make_case
from ..sync.clashes import clash
from .helpers import client_for, text_of

URL = "/sync/status/"


@pytest.fixture
def parent(db):
    return Peer.objects.create(node_id="noeud-relais", name="Relais du Centre",
                               role=PeerRole.PARENT, url="http://127.0.0.1:9",
                               organisations=["ACE"])


@pytest.fixture
def inline(monkeypatch):
    monkeypatch.setattr(runs, "BACKGROUND", False)


def test_the_relay_data_manager_sees_peers_conflicts_and_quarantine(cast, parent):
    Peer.objects.create(node_id="noeud-bureau", name="Bureau BTA", role=PeerRole.CHILD,
                        organisations=["BTA"])
    Peer.objects.filter(pk=parent.pk).update(
        last_contact=timezone.now(), last_error="Connexion au nœud parent impossible (URLError)",
        last_error_at=timezone.now())
    case = make_case(cast.worker)
    clash(cast.worker, case, "risk_level", "high", "low")
    Quarantine.objects.create(
        id="00000000-0000-0000-0000-000000000001", origin_node="noeud-bobo",
        received_from="noeud-relais", payload={},
        reason="Le nœud noeud-bobo date ses modifications de 48 h dans le futur (limite : 24 h).")
    page = client_for(cast.relay).get(URL)
    assert page.status_code == 200
    text = text_of(page)
    assert "Relais du Centre" in text and "Nœud parent" in text
    assert "Bureau BTA" in text and "Nœud enfant" in text
    assert "Connexion au nœud parent impossible" in text
    assert "Conflits à résoudre (1)" in text
    assert "Opérations en quarantaine (1)" in text
    assert "Le nœud noeud-bobo date ses modifications de 48 h dans le futur" in text
    assert "Synchroniser maintenant" in text
    assert 'href="/sync/status/"' in page.content.decode()  # in the menu


def test_the_status_page_refuses_those_without_the_right(cast):
    for user in (cast.outsider, cast.worker, cast.manager, cast.provider, cast.partner):
        c = client_for(user)
        assert c.get(URL).status_code == 403, user
        assert c.post(URL + "run/").status_code == 403, user
        assert c.get(URL + "progress/").status_code == 403, user
        assert 'href="/sync/status/"' not in c.get("/").content.decode()
    assert client_for(cast.coordinator).get(URL).status_code == 200
    assert client_for(cast.admin).get(URL).status_code == 200
    assert client_for(cast.relay).get(URL + "run/").status_code == 405


def test_a_node_without_a_parent_says_it_has_nobody_to_call(cast, inline):
    c = client_for(cast.relay)
    assert "pas de nœud parent" in text_of(c.get(URL))
    answer = c.post(URL + "run/", follow=True)
    assert "n'a pas de nœud parent" in text_of(answer)
    assert not SyncRun.objects.exists()


def test_syncing_now_shows_the_progress_and_the_result(cast, parent, inline, monkeypatch):
    seen = []

    def exchanges(peer, *, progress, **kw):
        assert peer.node_id == "noeud-relais"
        state = Progress(to_send=5, to_receive=8)
        for sent, received in ((3, 4), (5, 8)):
            state.sent, state.received, state.exchanges = sent, received, state.exchanges + 1
            progress(state)
            seen.append(SyncRun.objects.get().sent)
        return state

    monkeypatch.setattr(runs, "sync_with", exchanges)
    c = client_for(cast.relay)
    answer = c.post(URL + "run/")
    assert answer.status_code == 302 and answer["Location"] == URL + "#progress"
    assert seen == [3, 5]  # written after each exchange, for the page to poll
    fragment = text_of(c.get(URL + "progress/"))
    assert "Synchronisation terminée" in fragment
    assert "Envoyées : 5 sur 5 · reçues : 8 sur 8" in fragment
    assert AuditEvent.objects.filter(action=AuditAction.SYNC_RUN, user=cast.relay).exists()


def test_a_failed_sync_is_told_in_french(cast, parent, inline, monkeypatch):
    def unreachable(peer, **kw):
        raise SyncError("Connexion au nœud parent impossible (URLError) : nouvel essai plus tard.")

    monkeypatch.setattr(runs, "sync_with", unreachable)
    c = client_for(cast.admin)
    c.post(URL + "run/")
    text = text_of(c.get(URL))
    assert "n'a pas abouti : Connexion au nœud parent impossible" in text


def test_an_unexpected_error_is_told_without_its_message(cast, parent, inline, monkeypatch, caplog):
    def broken(peer, **kw):
        raise ValueError("Aminata Ouédraogo")

    monkeypatch.setattr(runs, "sync_with", broken)
    c = client_for(cast.admin)
    c.post(URL + "run/")
    text = text_of(c.get(URL + "progress/"))
    assert "erreur inattendue (ValueError)" in text
    assert "Aminata" not in text and "Aminata" not in caplog.text


def test_one_run_at_a_time(cast, parent):
    SyncRun.objects.create(peer_id=parent.node_id)
    c = client_for(cast.relay)
    page = c.get(URL)
    assert "Synchronisation en cours" in text_of(page)
    assert 'hx-trigger="every 1s"' in page.content.decode()  # the fragment polls itself
    answer = c.post(URL + "run/", follow=True)
    assert "déjà en cours" in text_of(answer)
    assert SyncRun.objects.count() == 1


def test_the_run_goes_on_in_the_background_and_the_page_follows_it(
        cast, parent, monkeypatch, transactional_db, keep_reference_data):
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        # SQLite's shared in-memory test database locks whole tables between threads
        # ("database table is locked", no busy wait): run on PostgreSQL and file databases.
        pytest.skip("threads need a database file")
    release = threading.Event()

    def slow(peer, *, progress, **kw):
        state = Progress(sent=1, to_send=2)
        progress(state)
        release.wait(10)
        state.sent = 2
        return state

    monkeypatch.setattr(runs, "sync_with", slow)
    c = client_for(cast.relay)
    assert c.post(URL + "run/").status_code == 302
    thread = next(t for t in threading.enumerate() if t.name == "yiri-sync-now")
    for _ in range(100):
        if SyncRun.objects.get().sent == 1:
            break
        thread.join(0.05)
    assert "Synchronisation en cours" in text_of(c.get(URL + "progress/"))
    release.set()
    thread.join(10)
    assert "Synchronisation terminée" in text_of(c.get(URL + "progress/"))


def test_a_node_restored_from_an_old_backup_is_told_on_the_status_page(cast, parent):
    Peer.objects.filter(pk=parent.pk).update(
        last_error="", notice_at=timezone.now(),
        notice="Ce nœud a été restauré depuis une sauvegarde plus ancienne que sa dernière "
               "synchronisation : ses compteurs ont été avancés, 3 opération(s) renumérotée(s).")
    text = text_of(client_for(cast.relay).get(URL))
    assert "Relais du Centre" in text and "3 opération(s) renumérotée(s)" in text
