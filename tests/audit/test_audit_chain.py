"""The audit log is append-only and hash-chained: ``manage.py audit verify`` names the
first entry altered, removed or moved, and a rewritten chain no longer matches the
checkpoints signed with the node's key."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from yiri.audit import chain
from yiri.audit.models import AuditAction, AuditCheckpoint, AuditEvent
from yiri.audit.services import record_event
from yiri.sync import identity
from yiri.sync.models import Operation, raw_writes


@pytest.fixture
def keys(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    identity.load.cache_clear()
    yield identity.create()
    identity.load.cache_clear()


@pytest.fixture
def events(db):
    return [record_event(AuditAction.VIEW, record_type="case", record_id=None, n=i)
            for i in range(6)]


def drop_guards():
    """What an attacker with the database's password does first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS yiri_audit_append_only ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS yiri_audit_no_update")


def verify_message() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify")
    return str(caught.value)


def test_events_take_consecutive_places_and_the_chain_verifies(events, capsys):
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 6))
    call_command("audit", "verify")
    assert "Journal d'audit intègre" in capsys.readouterr().out


def test_the_application_cannot_change_an_audit_row(events):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[2].pk).update(action=AuditAction.UPDATE)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_the_application_cannot_remove_an_audit_row(events):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=events[2].pk).delete()


def test_an_altered_entry_is_named(events):
    drop_guards()
    AuditEvent.objects.filter(pk=events[3].pk).update(details={"n": 99})
    assert f"Entrée n° {events[3].seq} modifiée" in verify_message()


def test_a_removed_entry_is_named(events):
    drop_guards()
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    assert f"Entrée n° {events[2].seq} supprimée" in verify_message()


def test_the_last_entries_removed_are_named(events):
    drop_guards()
    AuditEvent.objects.filter(pk__in=[events[4].pk, events[5].pk]).delete()
    assert f"Entrées n° {events[4].seq} à {events[5].seq} supprimées" in verify_message()


def test_two_entries_swapped_are_named(events):
    drop_guards()
    a, b = events[1], events[4]
    AuditEvent.objects.filter(pk=a.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEvent.objects.filter(pk=a.pk).update(seq=b.seq)
    assert f"Entrée n° {a.seq} modifiée ou déplacée" in verify_message()


def test_a_chain_rewritten_after_an_edit_no_longer_matches_its_signed_checkpoint(events, keys):
    point = chain.checkpoint(force=True)
    assert point is not None and point.seq == events[-1].seq
    assert chain.signature_holds(point, keys.sign_key)
    drop_guards()
    # The attacker edits an entry and recomputes every digest after it.
    AuditEvent.objects.filter(pk=events[1].pk).update(details={"n": "effacé"})
    previous = chain.GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        event.digest = chain.link(previous, event)
        AuditEvent.objects.filter(pk=event.pk).update(digest=event.digest)
        previous = event.digest
    message = verify_message()
    assert f"point de contrôle n° {point.seq}" in message
    assert "historique réécrit" in message


def test_a_forged_checkpoint_signature_is_found(events, keys):
    point = chain.checkpoint(force=True)
    with raw_writes():  # written behind the application's back
        AuditCheckpoint.objects.filter(pk=point.pk).update(signature=keys.sign(b"autre chose"))
    assert "signature invalide" in verify_message()


def test_a_checkpoint_travels_with_sync_and_names_no_one(events, keys):
    point = chain.checkpoint(force=True)
    op = Operation.objects.get(entity="audit_checkpoint", entity_id=point.pk)
    assert op.record_id is None  # configuration-like: sent up to the relay and the national node
    values = {path: change[0] for path, change in op.changes.items()}
    assert values["seq"] == point.seq and values["digest"] == point.digest
    assert values["signature"] == point.signature


def test_no_checkpoint_is_signed_before_one_is_due(events, keys, settings):
    settings.YIRI_AUDIT_CHECKPOINT_EVERY = 1000
    assert chain.checkpoint() is None
    settings.YIRI_AUDIT_CHECKPOINT_EVERY = 3
    assert chain.checkpoint() is not None
    assert chain.checkpoint() is None  # nothing new since


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_share_a_place_in_the_chain():
    import threading

    from django.db import connections

    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("threads need a database file")
    errors: list = []

    def writer():
        try:
            for _ in range(10):
                record_event(AuditAction.VIEW, record_type="case")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert chain.verify()[2] == []
