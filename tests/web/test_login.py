from __future__ import annotations

from django.test import Client

from ..conftest import PASSWORD, sign_in
from .helpers import client_for, text_of


def test_the_login_page_is_in_french(db):
    r = Client().get("/login/")
    assert r.status_code == 200
    assert "Nom d'utilisateur" in text_of(r) and "Mot de passe" in text_of(r)
    assert 'for="id_username"' in r.content.decode()


def test_a_wrong_password_says_so_clearly(cast):
    r = Client().post("/login/", {"username": "worker", "password": "faux"})
    assert r.status_code == 200
    assert "mot de passe incorrect" in text_of(r)
    assert 'role="alert"' in r.content.decode()


def test_a_waiting_account_is_told_to_wait_or_ask_in_the_same_words_as_a_wrong_password(
        cast, settings):
    c = Client()
    for _ in range(settings.YIRI_LOCKOUT_FAILURES):
        c.post("/login/", {"username": "worker", "password": "faux"})
    r = c.post("/login/", {"username": "worker", "password": PASSWORD})
    assert "attendre quelques minutes" in text_of(r) and "mot de passe incorrect" in text_of(r)
    assert "_auth_user_id" not in c.session


def test_a_user_logs_in_and_lands_on_the_home_page(cast):
    c = Client()
    r = sign_in(c, "worker")
    assert r.status_code == 302 and r["Location"] == "/"
    r = c.get("/")
    assert "Mes dossiers récents" in text_of(r)


def test_logout_is_a_post(cast):
    c = client_for(cast.worker)
    assert c.get("/logout/").status_code == 405
    c.post("/logout/")
    assert c.get("/").status_code == 302


def test_pages_need_a_login(db):
    for url in ("/", "/search/", "/cases/", "/incidents/", "/tracing/", "/places/?q=ou"):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url


def test_the_language_switch_turns_the_interface_to_english_and_back(cast):
    c = client_for(cast.worker)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    r = c.get("/")
    assert "My recent cases" in text_of(r)
    cast.worker.refresh_from_db()
    assert cast.worker.language == "en"
    c.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Mes dossiers récents" in text_of(c.get("/"))
