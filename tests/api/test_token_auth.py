from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from yiri.accounts.models import ApiToken, User
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD, enrolled_device, totp_code

URL = "/api/v1/auth/token/"


def ask_token(username, password):
    """As a client would: the password and the code of the account's authentication app."""
    user = User.objects.filter(username=username).first()
    code = totp_code(enrolled_device(user)) if user else ""
    return APIClient().post(URL, {"username": username, "password": password, "otp": code},
                            format="json")


def test_the_right_password_gives_a_token_that_opens_the_api(cast):
    r = ask_token("worker", PASSWORD)
    assert r.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert client.get("/api/v1/cases/").status_code == 200


def test_getting_a_token_is_audited_as_a_login(cast):
    ask_token("worker", PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, user=cast.worker).count() == 1


def test_the_api_refuses_a_request_without_a_token(cast):
    assert APIClient().get("/api/v1/cases/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert bad.get("/api/v1/cases/").status_code == 401


def test_a_wrong_password_is_a_400_with_a_french_message_and_is_audited(cast):
    r = ask_token("worker", "pas-le-bon-mot-de-passe")
    assert r.status_code == 400
    assert "mot de passe incorrect" in r.json()["errors"]["__all__"][0]
    assert not ApiToken.objects.filter(user=cast.worker).exists()
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.record_id == cast.worker.pk
    assert "pas-le-bon" not in str(failed.details)


def test_after_six_wrong_passwords_even_the_right_one_is_refused(cast):
    for _ in range(6):
        assert ask_token("worker", "pas-le-bon-mot-de-passe").status_code == 400
    r = ask_token("worker", PASSWORD)
    assert r.status_code == 400
    assert "mot de passe incorrect" in r.json()["errors"]["__all__"][0]  # no word of a lock
    assert not ApiToken.objects.filter(user=cast.worker).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT, record_id=cast.worker.pk).exists()


def test_five_wrong_passwords_do_not_lock_the_account(cast):
    for _ in range(5):
        ask_token("worker", "pas-le-bon-mot-de-passe")
    assert ask_token("worker", PASSWORD).status_code == 200


def test_an_inactive_account_gets_no_token(cast):
    cast.worker.is_active = False
    cast.worker.save()
    assert ask_token("worker", PASSWORD).status_code == 400


def test_a_missing_field_is_a_400_naming_the_field(cast):
    r = APIClient().post(URL, {"username": "worker"}, format="json")
    assert r.status_code == 400
    assert "password" in r.json()["errors"]


def test_deleting_the_token_signs_out(cast, api):
    client = api(cast.worker)
    assert client.delete(URL).status_code == 204
    assert not ApiToken.objects.filter(user=cast.worker).exists()
    assert client.get("/api/v1/cases/").status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, user=cast.worker).exists()


def test_a_token_stops_working_after_twelve_hours(cast, api):
    client = api(cast.worker)
    ApiToken.objects.filter(user=cast.worker).update(expires=timezone.now() - dt.timedelta(hours=1))
    r = client.get("/api/v1/cases/")
    assert r.status_code == 401 and "expiré" in r.json()["detail"]
    assert not ApiToken.objects.filter(user=cast.worker).exists()


def test_a_token_lives_the_hours_of_the_setting(cast, settings):
    settings.YIRI_API_TOKEN_HOURS = 12
    ask_token("worker", PASSWORD)
    token = ApiToken.objects.get(user=cast.worker)
    assert token.expires - token.created == dt.timedelta(hours=12)
