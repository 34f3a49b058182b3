"""Disabling a user or lowering a role takes effect on the next request, for an open
session and for an API token alike (nothing about rights is kept in the session); an idle
session ends after ``SESSION_COOKIE_AGE`` (30 minutes by default)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from yiri.accounts.models import Role
from yiri.accounts.tokens import issue

from ..conftest import make_case


def session_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue(user)}")
    return client


def test_a_disabled_user_is_refused_at_the_next_request_in_the_browser_and_the_api(cast):
    case = make_case(cast.worker)
    browser, api = session_of(cast.worker), token_client(cast.worker)
    assert browser.get(f"/cases/{case.pk}/").status_code == 200
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    cast.worker.is_active = False
    cast.worker.save()
    r = browser.get(f"/cases/{case.pk}/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 401
    assert browser.get(f"/api/v1/cases/{case.pk}/").status_code in (401, 403)


def test_a_lowered_role_takes_effect_at_the_next_request_in_the_browser_and_the_api(cast):
    case = make_case(cast.worker)
    browser, api = session_of(cast.manager), token_client(cast.manager)
    assert browser.get(f"/cases/{case.pk}/").status_code == 200
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert browser.get("/cases/export/").status_code == 200
    cast.manager.role = Role.objects.get(code="partner_viewer")
    cast.manager.save()
    assert browser.get(f"/cases/{case.pk}/").status_code == 404
    assert browser.get("/cases/export/").status_code == 404
    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api.get("/api/v1/cases/").json()["count"] == 0


def test_a_right_taken_from_a_role_is_gone_at_the_next_request(cast):
    make_case(cast.worker)
    browser = session_of(cast.manager)
    assert browser.get("/cases/export/").status_code == 200
    role = cast.manager.role
    role.permissions = {**role.permissions,
                        "case": [a for a in role.permissions["case"] if a != "export"]}
    role.save()
    assert browser.get("/cases/export/").status_code == 403


def test_an_idle_session_ends(cast):
    browser = session_of(cast.worker)
    assert browser.get("/cases/").status_code == 200
    # Activity pushes the end on (at most once a minute); here none came for long.
    Session.objects.filter(session_key=browser.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    r = browser.get("/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_sessions_end_after_30_minutes_of_inactivity_by_default():
    env = {k: v for k, v in os.environ.items() if k != "YIRI_SESSION_SECONDS"}
    out = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
         " 'yiri.settings'); from django.conf import settings; print(settings.SESSION_COOKIE_AGE,"
         " settings.SESSION_SAVE_EVERY_REQUEST, settings.YIRI_2FA)"],
        env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1800", "False", "True"]
