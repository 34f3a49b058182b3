"""Too many wrong passwords make an account wait, a little longer each time; a stranger
cannot use that to keep a worker out of her own PC, and an administrator can end it.

The attack this answers: six requests locked any known account, the administrator's
included, for 30 minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from yiri.accounts.models import User
from yiri.accounts.throttle import DEVICE_COOKIE
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD, sign_in


def fail(client, settings, n=None, username="worker"):
    for _ in range(settings.YIRI_LOCKOUT_FAILURES if n is None else n):
        client.post("/login/", {"username": username, "password": "faux"})


def signed_in(response) -> bool:
    """The response of ``sign_in``: both factors passed, to the home page."""
    return response.status_code == 302 and response["Location"] == "/"


def wait_left(user) -> dt.timedelta:
    return User.objects.get(pk=user.pk).locked_until - timezone.now()


def test_the_wait_starts_at_a_minute_and_doubles_up_to_the_setting(cast, settings):
    stranger = Client(REMOTE_ADDR="192.0.2.50")
    fail(stranger, settings)
    waits = [wait_left(cast.worker)]
    for _ in range(6):
        User.objects.filter(pk=cast.worker.pk).update(
            locked_until=timezone.now() - dt.timedelta(seconds=1))  # the wait is over
        fail(stranger, settings, 1)
        waits.append(wait_left(cast.worker))
    minutes = [round(w.total_seconds() / 60) for w in waits]
    assert minutes == [1, 2, 4, 8, 16, settings.YIRI_LOCKOUT_MINUTES, settings.YIRI_LOCKOUT_MINUTES]


def test_a_stranger_making_the_account_wait_does_not_keep_the_worker_out_of_her_pc(cast, settings):
    her_pc = Client()
    assert signed_in(sign_in(her_pc, "worker"))
    assert DEVICE_COOKIE in her_pc.cookies
    her_pc.post("/logout/")
    stranger = Client(REMOTE_ADDR="192.0.2.66")
    fail(stranger, settings)
    assert User.objects.get(pk=cast.worker.pk).is_locked
    assert not signed_in(sign_in(stranger, "worker"))
    assert signed_in(sign_in(her_pc, "worker"))


def test_a_trusted_pc_still_waits_after_too_many_wrong_passwords_typed_on_it(cast, settings):
    pc = Client()
    assert signed_in(sign_in(pc, "worker"))
    pc.post("/logout/")
    fail(pc, settings)
    assert not signed_in(sign_in(pc, "worker"))


def test_a_device_cookie_of_another_user_or_forged_trusts_nothing(cast, settings):
    pc = Client()
    assert signed_in(sign_in(pc, "colleague"))
    pc.post("/logout/")
    fail(Client(REMOTE_ADDR="192.0.2.67"), settings)
    assert not signed_in(sign_in(pc, "worker"))
    pc.cookies[DEVICE_COOKIE] = "forged"
    assert not signed_in(sign_in(pc, "worker"))


@pytest.fixture
def superuser_client(cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def test_an_administrator_ends_the_wait_from_the_user_list_and_it_is_audited(cast, settings,
                                                                             superuser_client):
    fail(Client(REMOTE_ADDR="192.0.2.68"), settings)
    assert User.objects.get(pk=cast.worker.pk).is_locked
    r = superuser_client.post("/admin/accounts/user/", {
        "action": "unlock", "_selected_action": [str(cast.worker.pk)]}, follow=True)
    assert r.status_code == 200
    worker = User.objects.get(pk=cast.worker.pk)
    assert not worker.is_locked and worker.failed_logins == 0
    event = AuditEvent.objects.get(action=AuditAction.UNLOCK)
    assert event.user == cast.admin and event.record_id == cast.worker.pk
    assert signed_in(sign_in(Client(), "worker"))


def test_a_staff_member_without_the_change_right_cannot_unlock(cast, settings):
    cast.manager.is_staff = True
    cast.manager.save()
    client = Client()
    assert client.login(username="manager", password=PASSWORD)
    fail(Client(REMOTE_ADDR="192.0.2.69"), settings)
    client.post("/admin/accounts/user/", {"action": "unlock", "_selected_action": [str(cast.worker.pk)]})
    assert User.objects.get(pk=cast.worker.pk).is_locked
    assert not AuditEvent.objects.filter(action=AuditAction.UNLOCK).exists()
