"""A session ends ``YIRI_SESSION_MAX_HOURS`` after its sign-in however busy it is, besides
the idle timeout; a new sign-in starts a new one.

The attack this answers: a session kept alive by activity lived for ever."""

from __future__ import annotations

import time

from django.test import Client

from yiri.web.security import SIGNED_IN_AT

from ..conftest import sign_in


def signed_in_client():
    client = Client()
    r = sign_in(client, "worker")
    assert r.status_code == 302 and r["Location"] == "/"
    return client


def age_session(client, hours):
    session = client.session
    session[SIGNED_IN_AT] = int(time.time() - hours * 3600)
    session.save()


def test_a_busy_session_ends_after_the_absolute_lifetime(cast, settings):
    settings.YIRI_SESSION_MAX_HOURS = 12
    client = signed_in_client()
    assert client.get("/cases/").status_code == 200
    age_session(client, 11.9)
    assert client.get("/cases/").status_code == 200
    age_session(client, 12.1)
    r = client.get("/cases/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/cases/").status_code in (401, 403)


def test_signing_in_again_starts_a_new_lifetime(cast, settings):
    client = signed_in_client()
    age_session(client, settings.YIRI_SESSION_MAX_HOURS + 1)
    client.get("/cases/")
    sign_in(client, "worker")
    assert client.get("/cases/").status_code == 200
