"""Two-factor sign-in: every role that can read identifying data types a code of its phone
after its password (enrolled at the first sign-in, with ten recovery codes shown once); a
password-only session reaches no case page and no API; a code works once; wrong codes
count like wrong passwords; an administrator can reset the second factor (audited)."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from yiri.accounts import two_factor
from yiri.accounts.models import RecoveryCode
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD, enrolled_device, make_case, sign_in, totp_code

PROTECTED = ("admin", "manager", "worker", "provider", "relay", "coordinator", "outsider")


def password_step(client, username="worker"):
    r = client.post("/login/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302
    return r


def code_from_page(html: str) -> str:
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    return str(totp(base64.b32decode(secret + "=" * (-len(secret) % 8)))).zfill(6)


def test_every_role_that_reads_identifying_data_needs_a_second_factor_and_the_partner_not(cast):
    needs = {name: two_factor.required_for(u) for name, u in cast.everyone.items()}
    assert needs == {**{n: True for n in PROTECTED}, "colleague": True, "partner": False}


@pytest.mark.password_only
def test_a_password_only_session_reaches_no_case_page_nor_the_api(cast):
    case = make_case(cast.worker)
    client = Client()
    assert client.login(username="worker", password=PASSWORD)
    for url in ("/", "/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/print/", "/search/",
                "/cases/export.csv", "/admin/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"] == "/2fa/", url
    r = client.get(f"/api/v1/cases/{case.pk}/")
    assert r.status_code == 403 and "Double authentification" in r.json()["detail"]
    assert client.get("/api/v1/cases/").status_code == 403
    # A made-up API token header opens no page, and no API on the session either.
    assert client.get(f"/cases/{case.pk}/", HTTP_AUTHORIZATION="Token x")["Location"] == "/2fa/"
    assert client.get("/api/v1/cases/", HTTP_AUTHORIZATION="Token x").status_code == 401
    # What it may reach: the second-factor pages and logout.
    assert client.get("/2fa/setup/").status_code == 200
    assert client.post("/logout/").status_code == 302


def test_the_first_sign_in_enrols_a_phone_then_shows_ten_recovery_codes_once(cast):
    client = Client()
    r = password_step(client)
    assert r["Location"] == "/2fa/setup/"
    page = client.get("/2fa/setup/")
    html = page.content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "style" not in svg and "<script" not in svg  # the CSP allows no inline style
    assert "application d'authentification" in html
    assert client.post("/2fa/setup/", {"code": "000000"}).status_code == 200  # wrong: stays
    r = client.post("/2fa/setup/", {"code": code_from_page(html)})
    assert r.status_code == 302 and r["Location"] == "/2fa/recovery-codes/"
    codes_page = client.get("/2fa/recovery-codes/").content.decode()
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/2fa/recovery-codes/").status_code == 302  # shown once
    stored = list(RecoveryCode.objects.filter(user=cast.worker).values_list("digest", flat=True))
    assert len(stored) == 10 and not any(c.replace("-", "") in d for c in codes for d in stored)
    assert client.get("/cases/").status_code == 200
    assert TOTPDevice.objects.get(user=cast.worker).confirmed


def test_the_next_sign_in_asks_for_the_code_and_goes_where_the_person_was_going(cast):
    device = enrolled_device(cast.worker)
    client = Client()
    r = client.get("/cases/")
    r = client.post(r["Location"], {"username": "worker", "password": PASSWORD})
    assert r["Location"] == "/2fa/"
    assert "Double authentification" in client.get("/2fa/").content.decode()
    r = client.post("/2fa/", {"code": totp_code(device)})
    assert r.status_code == 302 and r["Location"] == "/cases/"


def test_a_code_already_used_is_refused(cast):
    device = enrolled_device(cast.worker)
    code = totp_code(device)
    first = Client()
    password_step(first)
    assert first.post("/2fa/", {"code": code})["Location"] == "/"
    second = Client()
    password_step(second)
    r = second.post("/2fa/", {"code": code})
    assert r.status_code == 200 and "déjà utilisé" in r.content.decode()
    assert second.get("/cases/")["Location"] == "/2fa/"


def test_a_recovery_code_works_once(cast):
    enrolled_device(cast.worker)
    code = two_factor.new_recovery_codes(cast.worker)[3]
    client = Client()
    password_step(client)
    r = client.post("/2fa/", {"code": code.lower()}, follow=True)
    assert r.redirect_chain[-1][0] == "/"
    assert "Il vous en reste 9" in r.content.decode()
    client.post("/logout/")
    password_step(client)
    assert client.post("/2fa/", {"code": code}).status_code == 200
    assert client.get("/cases/")["Location"] == "/2fa/"


def test_wrong_codes_count_like_wrong_passwords_and_a_right_password_does_not_forgive_them(
        cast, settings):
    device = enrolled_device(cast.worker)
    client = Client()
    for _ in range(settings.YIRI_LOCKOUT_FAILURES):
        client.post("/logout/")
        r = password_step(client)  # a right password between wrong codes
        assert r["Location"] == "/2fa/"
        assert client.post("/2fa/", {"code": wrong(device)}).status_code == 200
    # The account now waits: even the right password is refused unexamined.
    client.post("/logout/")
    r = client.post("/login/", {"username": "worker", "password": PASSWORD})
    assert r.status_code == 200 and "_auth_user_id" not in client.session
    cast.worker.refresh_from_db()
    assert cast.worker.is_locked
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, record_id=cast.worker.pk,
                                     details__second_factor=True).count() == 6


def wrong(device) -> str:
    return str((int(totp_code(device, fresh=False)) + 1) % 1_000_000).zfill(6)


def test_the_partner_signs_in_with_a_password_alone(cast):
    client = Client()
    r = client.post("/login/", {"username": "partner", "password": PASSWORD})
    assert r["Location"] == "/"
    assert client.get("/").status_code == 200


def test_an_administrator_resets_a_second_factor_and_it_is_audited(cast):
    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    device = enrolled_device(cast.worker)
    worker = Client()
    sign_in(worker, "worker")
    assert worker.get("/cases/").status_code == 200
    two_factor.new_recovery_codes(cast.worker)
    admin = Client()
    admin.force_login(cast.admin)
    r = admin.post("/admin/accounts/user/", {"action": "reset_two_factor",
                                             "_selected_action": [str(cast.worker.pk)]})
    assert r.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not RecoveryCode.objects.filter(user=cast.worker).exists()
    # The worker's open session is no longer verified: enrolment again.
    assert worker.get("/cases/")["Location"] == "/2fa/"
    assert worker.get("/2fa/")["Location"] == "/2fa/setup/"
    event = AuditEvent.objects.get(details__two_factor_reset=True)
    assert event.user == cast.admin and event.record_id == cast.worker.pk


def test_a_case_worker_cannot_reset_a_second_factor(cast):
    enrolled_device(cast.admin)
    worker = Client()
    worker.force_login(cast.worker)
    r = worker.post("/admin/accounts/user/", {"action": "reset_two_factor",
                                              "_selected_action": [str(cast.admin.pk)]})
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    assert TOTPDevice.objects.filter(user=cast.admin).exists()


def test_an_api_token_needs_the_code_for_a_protected_account(cast):
    url = "/api/v1/auth/token/"
    r = APIClient().post(url, {"username": "worker", "password": PASSWORD}, format="json")
    assert r.status_code == 400 and "otp" in r.json()["errors"]  # not enrolled yet
    device = enrolled_device(cast.worker)
    r = APIClient().post(url, {"username": "worker", "password": PASSWORD}, format="json")
    assert r.status_code == 400 and "otp" in r.json()["errors"]
    code = totp_code(device)
    r = APIClient().post(url, {"username": "worker", "password": PASSWORD, "otp": code},
                         format="json")
    assert r.status_code == 200 and r.json()["token"]
    again = APIClient().post(url, {"username": "worker", "password": PASSWORD, "otp": code},
                             format="json")
    assert again.status_code == 400  # the same code twice
    r = APIClient().post(url, {"username": "partner", "password": PASSWORD}, format="json")
    assert r.status_code == 200


def test_with_two_factor_off_for_a_demo_a_password_is_enough_and_check_deploy_warns(
        cast, settings, capsys):
    settings.YIRI_2FA = False
    client = Client()
    assert client.post("/login/", {"username": "worker", "password": PASSWORD})["Location"] == "/"
    assert client.get("/cases/").status_code == 200
    assert any(m.id == "yiri.W201" for m in two_factor.two_factor_on(None))
    settings.YIRI_2FA = True
    assert two_factor.two_factor_on(None) == []
    call_command("check", "--deploy", "--fail-level", "CRITICAL")  # runs, warns only


@pytest.mark.django_db(transaction=True)
def test_one_code_sent_five_times_at_once_is_accepted_once(cast):
    import threading

    from django.db import connections
    from django.test import RequestFactory

    from .test_parallel_guesses import needs_a_database_file

    needs_a_database_file()
    device = enrolled_device(cast.worker)
    code = totp_code(device)
    results, start = [None] * 5, threading.Barrier(5)

    def attempt(i):
        try:
            start.wait()
            request = RequestFactory().post("/2fa/", REMOTE_ADDR=f"10.0.2.{i + 1}")
            results[i] = two_factor.verify(request, cast.worker, code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, False, True]


@pytest.mark.password_only
def test_the_redirect_of_a_half_signed_in_session_is_not_kept_by_any_cache(cast):
    client = Client()
    client.force_login(cast.worker)
    r = client.get("/cases/")
    assert r["Location"] == "/2fa/" and "no-store" in r["Cache-Control"]
    assert "Content-Security-Policy" in r
