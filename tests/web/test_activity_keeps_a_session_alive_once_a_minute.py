"""Activity pushes a session's idle timeout on, but the session is written at most once a
minute (``yiri.web.security.keep_alive``), not at every request: a click within the
minute writes nothing, a click after it moves the expiry on, and a session left idle
still ends."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiri.web.security import SEEN_AT, TOUCH_SECONDS


def session_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _session_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))
            and "django_session" in q["sql"]]


def test_a_click_within_the_minute_writes_no_session(cast):
    browser = session_of(cast.worker)
    assert browser.get("/cases/").status_code == 200  # the first request sets the clock
    with CaptureQueriesContext(connection) as seen:
        assert browser.get("/cases/").status_code == 200
    assert _session_writes(seen.captured_queries) == []


def test_a_click_after_the_minute_pushes_the_end_on(cast):
    browser = session_of(cast.worker)
    assert browser.get("/cases/").status_code == 200
    session = browser.session
    session[SEEN_AT] -= TOUCH_SECONDS
    session.save()
    soon = timezone.now() + dt.timedelta(seconds=60)
    Session.objects.filter(session_key=session.session_key).update(expire_date=soon)
    with CaptureQueriesContext(connection) as seen:
        assert browser.get("/cases/").status_code == 200
    assert len(_session_writes(seen.captured_queries)) == 1
    assert _row(browser).expire_date > soon + dt.timedelta(minutes=25)


def test_an_anonymous_visit_creates_no_session(cast, client):
    before = Session.objects.count()
    client.get("/login/")
    client.get("/")
    assert Session.objects.count() == before
