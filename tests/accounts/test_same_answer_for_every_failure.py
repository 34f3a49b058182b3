"""Every refused sign-in gets the same words and costs the same work, so neither the
message nor the time tells a stranger whether a name exists or an account is waiting.

The attack this answers: after six failures an existing user got "Ce compte est
verrouillé…" while an unknown name always got "incorrect", and a locked account answered
in 17 ms against 450 ms (its password was never hashed)."""

from __future__ import annotations

import threading

from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from rest_framework.test import APIClient

from yiri.accounts.throttle import INVALID_LOGIN

from ..conftest import PASSWORD
from ..web.helpers import text_of


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast, as in every test) that counts the passwords it hashes."""

    algorithm = "md5"
    count = 0
    lock = threading.Lock()

    def encode(self, password, salt, *args, **kwargs):
        with CountingHasher.lock:
            CountingHasher.count += 1
        return super().encode(password, salt, *args, **kwargs)


def lock_worker(settings, client):
    for _ in range(settings.YIRI_LOCKOUT_FAILURES):
        client.post("/login/", {"username": "worker", "password": "faux"})


def error_of(response) -> str:
    return text_of(response).split("Nom d'utilisateur ou mot de passe", 1)[1][:200]


def test_a_wrong_password_an_unknown_name_and_a_waiting_account_read_the_same(cast, settings):
    stranger = Client()
    wrong = stranger.post("/login/", {"username": "worker", "password": "faux"})
    unknown = stranger.post("/login/", {"username": "personne", "password": "faux"})
    lock_worker(settings, stranger)
    waiting = stranger.post("/login/", {"username": "worker", "password": "faux"})
    right_but_waiting = stranger.post("/login/", {"username": "worker", "password": PASSWORD})
    assert "_auth_user_id" not in stranger.session
    answers = {error_of(r) for r in (wrong, unknown, waiting, right_but_waiting)}
    assert len(answers) == 1
    assert "verrouillé" not in text_of(right_but_waiting)


def test_the_api_answers_every_refusal_with_the_same_400(cast, settings):
    def ask(username, password):
        return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password},
                                format="json")

    first = ask("worker", "faux")
    for _ in range(settings.YIRI_LOCKOUT_FAILURES):
        ask("admin", "faux")
    bodies = [first, ask("personne", "faux"), ask("admin", "faux"), ask("admin", PASSWORD)]
    assert {r.status_code for r in bodies} == {400}
    assert all(r.json() == {"errors": {"__all__": [str(INVALID_LOGIN)]}} for r in bodies)


def test_every_attempt_hashes_one_password_whatever_its_outcome(cast, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    cast.worker.set_password(PASSWORD)
    cast.worker.save()
    stranger = Client()
    cases = [("worker", "faux"), ("personne", "faux"), ("worker", PASSWORD)]
    lock_worker(settings, stranger)
    cases += [("worker", "faux"), ("worker", PASSWORD)]  # while the account waits
    for username, password in cases:
        before = CountingHasher.count
        Client().post("/login/", {"username": username, "password": password})
        assert CountingHasher.count - before == 1, (username, password)
