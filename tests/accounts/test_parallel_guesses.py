"""Guesses sent all at once cannot go past the limit: each attempt is counted (under a row
lock) before its password is examined, so the one past the limit finds the wait running.

The attack this answers: 30 wrong passwords sent at once all came back "incorrect" and the
counter ended at 2 (read, incremented in Python, written back)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import authenticate
from django.db import connection, connections
from django.test import RequestFactory

from yiri.accounts.models import LoginThrottle, User

from ..conftest import PASSWORD


def needs_a_database_file():
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("threads need a database file (SQLite's shared in-memory test database "
                    "locks tables between threads); runs on PostgreSQL in CI")


def at_once(attempts):
    """Run ``(username, password, address)`` attempts in parallel threads, all released
    together; their results in order."""
    results = [None] * len(attempts)
    errors = []
    start = threading.Barrier(len(attempts))

    def attempt(i, username, password, address):
        try:
            start.wait()
            request = RequestFactory().post("/login/", REMOTE_ADDR=address)
            results[i] = authenticate(request, username=username, password=password)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_thirty_parallel_wrong_passwords_examine_no_more_guesses_than_the_limit(cast, settings):
    needs_a_database_file()
    # Each from its own address: only the account's own count holds them back.
    results = at_once([("worker", f"faux-{i}", f"10.0.0.{i + 1}") for i in range(30)])
    assert results == [None] * 30
    worker = User.objects.get(pk=cast.worker.pk)
    assert worker.failed_logins == settings.YIRI_LOCKOUT_FAILURES
    assert worker.is_locked
    request = RequestFactory().post("/login/", REMOTE_ADDR="10.0.1.1")
    assert authenticate(request, username="worker", password=PASSWORD) is None


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_one_address_stop_at_the_address_limit(cast, settings):
    needs_a_database_file()
    settings.YIRI_LOCKOUT_ADDRESS_FAILURES = 8
    # Many names from one address, one guess each: no account reaches its own limit.
    at_once([(f"inconnu-{i}", "faux", "192.0.2.7") for i in range(20)])
    assert LoginThrottle.objects.get(key="address:192.0.2.7").failures == 8
    from_there = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.7")
    assert authenticate(from_there, username="worker", password=PASSWORD) is None
    elsewhere = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.8")
    assert authenticate(elsewhere, username="worker", password=PASSWORD) == cast.worker


def test_an_address_past_its_limit_waits_whatever_name_it_tries(cast, settings):
    settings.YIRI_LOCKOUT_ADDRESS_FAILURES = 5
    for i in range(5):
        request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.4")
        assert authenticate(request, username=f"nom-{i}", password="faux") is None
    request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.4")
    assert authenticate(request, username="worker", password=PASSWORD) is None
    assert User.objects.get(pk=cast.worker.pk).failed_logins == 0  # not examined, not counted


def test_successes_from_a_shared_address_do_not_use_up_its_allowance(cast, settings):
    settings.YIRI_LOCKOUT_ADDRESS_FAILURES = 3
    for _ in range(10):
        request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.9")
        assert authenticate(request, username="worker", password=PASSWORD) == cast.worker
    assert LoginThrottle.objects.get(key="address:203.0.113.9").failures == 0


def test_an_address_quiet_for_a_day_is_forgotten(cast, settings):
    import datetime as dt

    from django.utils import timezone

    settings.YIRI_LOCKOUT_ADDRESS_FAILURES = 3
    for _ in range(3):
        authenticate(RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.77"),
                     username="nom", password="faux")
    LoginThrottle.objects.filter(key="address:198.51.100.77").update(
        last_failure=timezone.now() - dt.timedelta(days=2),
        blocked_until=timezone.now() - dt.timedelta(days=2))
    request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.77")
    assert authenticate(request, username="worker", password=PASSWORD) == cast.worker
    assert LoginThrottle.objects.get(key="address:198.51.100.77").failures == 0
