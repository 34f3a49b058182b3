"""Passwords are hashed with Argon2; six wrong passwords lock an account for 30 minutes."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from yiri.accounts.models import User
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD


def login(username, password):
    return authenticate(RequestFactory().post("/login/"), username=username, password=password)


def test_passwords_are_stored_as_argon2_hashes(cast, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    cast.worker.set_password(PASSWORD)
    cast.worker.save()
    assert cast.worker.password.startswith("argon2$")
    assert login("worker", PASSWORD) == cast.worker


def test_the_right_password_logs_in(cast):
    assert login("worker", PASSWORD) == cast.worker


def test_six_wrong_passwords_lock_the_account_even_for_the_right_password(cast):
    for _ in range(6):
        assert login("worker", "mauvais-mot-de-passe") is None
    assert User.objects.get(pk=cast.worker.pk).is_locked
    assert login("worker", PASSWORD) is None
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT, record_id=cast.worker.pk).exists()


def test_a_lock_ends_after_its_time(cast):
    User.objects.filter(pk=cast.worker.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert login("worker", PASSWORD) == cast.worker


def test_a_success_resets_the_failure_count(cast):
    # An account without a second factor (the worker's is reset by its code: test_two_factor).
    for _ in range(5):
        login("partner", "faux")
    assert login("partner", PASSWORD) == cast.partner
    assert User.objects.get(pk=cast.partner.pk).failed_logins == 0


def test_a_right_password_alone_does_not_reset_the_count_of_an_account_with_a_second_factor(
        cast):
    for _ in range(5):
        login("worker", "faux")
    assert login("worker", PASSWORD) == cast.worker
    assert User.objects.get(pk=cast.worker.pk).failed_logins == 5


def test_failed_logins_are_audited_without_the_typed_text(cast):
    login("worker", "faux")
    login("Mon-Mot-De-Passe-Tapé-Au-Mauvais-Endroit", "x")
    events = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("at")
    assert [e.record_id for e in events] == [cast.worker.pk, None]
    assert "Mauvais-Endroit" not in str([(e.details, e.record_type) for e in events])
