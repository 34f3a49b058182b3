"""Re-authentication: a bulk export and a role change need the password (and the code)
given within the last ``YIRI_REAUTH_MINUTES``; ``require_recent_auth`` is the decorator any
grave view (an erasure) uses."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import Client, RequestFactory

from yiri.accounts import reauth
from yiri.accounts.reauth import require_recent_auth

from ..conftest import PASSWORD, enrolled_device, make_case, totp_code


def stale(client) -> None:
    """The session signed in (both factors) longer ago than the re-authentication window."""
    session = client.session
    session[reauth.SESSION_KEY] = int(time.time()) - 3600
    session.save()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # a full sign-in: it counts as a recent confirmation
    return client


def test_a_fresh_sign_in_exports_at_once(cast):
    make_case(cast.worker)
    r = signed_in(cast.manager).get("/cases/export/")
    assert r.status_code == 200 and 'name="format"' in r.content.decode()  # the export's form


def test_an_export_asks_for_the_password_and_code_again_after_a_while(cast, settings):
    make_case(cast.worker)
    device = enrolled_device(cast.manager)
    client = signed_in(cast.manager)
    stale(client)
    r = client.get("/cases/export/?status=open")
    assert r.status_code == 302 and r["Location"].startswith("/reauth/")
    target = parse_qs(urlparse(r["Location"]).query)["next"][0]
    assert target == "/cases/export/?status=open"
    page = client.get(r["Location"]).content.decode()
    assert 'name="password"' in page and 'name="code"' in page
    # A wrong password, or a right one without the code: still no export.
    for data in ({"password": "faux-mot-de-passe", "code": totp_code(device)},
                 {"password": PASSWORD, "code": ""}):
        r = client.post("/reauth/", {**data, "next": target})
        assert r.status_code == 200 and "incorrect" in r.content.decode()
        assert client.get(target).status_code == 302
    r = client.post("/reauth/", {"password": PASSWORD, "code": totp_code(device),
                                 "next": target})
    assert r.status_code == 302 and r["Location"] == target
    assert client.get(target).status_code == 200
    settings.YIRI_REAUTH_MINUTES = 0
    stale(client)
    assert client.get(target).status_code == 302


def test_the_confirmation_page_sends_nowhere_outside_the_site(cast):
    client = signed_in(cast.manager)
    device = enrolled_device(cast.manager)
    r = client.post("/reauth/", {"password": PASSWORD, "code": totp_code(device),
                                 "next": "https://evil.example/"})
    assert r["Location"] == "/"


def test_a_partner_without_export_right_is_still_refused_before_any_confirmation(cast):
    client = signed_in(cast.partner)
    assert client.get("/cases/export/").status_code == 404


def admin_change(client, user, role):
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": "",
        "email": "", "is_active": "on", "role": str(role.pk) if role else "",
        "agency": str(user.agency_id or ""), "relay_cell": "", "phone": "", "language": "fr",
        "failed_logins": "0", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    }
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


def test_a_role_change_in_the_admin_needs_a_recent_confirmation(cast):
    from yiri.accounts.models import Role

    cast.admin.is_staff = cast.admin.is_superuser = True
    cast.admin.save()
    manager_role = Role.objects.get(code="manager")
    client = signed_in(cast.admin)
    stale(client)
    r = admin_change(client, cast.worker, manager_role)
    assert r.status_code == 200 and "confirmer votre identité" in r.content.decode()
    cast.worker.refresh_from_db()
    assert cast.worker.role.code == "case_worker"
    device = enrolled_device(cast.admin)
    client.post("/reauth/", {"password": PASSWORD, "code": totp_code(device), "next": "/"})
    r = admin_change(client, cast.worker, manager_role)
    assert r.status_code == 302, r.content.decode()[-2000:]
    cast.worker.refresh_from_db()
    assert cast.worker.role.code == "manager"


def test_a_role_change_through_the_api_needs_the_password_and_code(cast):
    from ..api.conftest import client_for

    device = enrolled_device(cast.admin)
    admin = client_for(cast.admin)
    url = f"/api/v1/users/{cast.worker.pk}/"
    r = admin.patch(url, {"role": "manager"}, format="json")
    assert r.status_code == 400 and "reauth_password" in r.json()["errors"]
    r = admin.patch(url, {"role": "manager", "reauth_password": "faux-mot-de-passe",
                          "reauth_otp": totp_code(device)}, format="json")
    assert r.status_code == 400
    r = admin.patch(url, {"role": "manager", "reauth_password": PASSWORD}, format="json")
    assert r.status_code == 400
    cast.worker.refresh_from_db()
    assert cast.worker.role.code == "case_worker"
    r = admin.patch(url, {"role": "manager", "reauth_password": PASSWORD,
                          "reauth_otp": totp_code(device)}, format="json")
    assert r.status_code == 200 and "reauth_password" not in r.json()
    cast.worker.refresh_from_db()
    assert cast.worker.role.code == "manager"
    # Other changes need no confirmation.
    assert admin.patch(url, {"phone": "70000000"}, format="json").status_code == 200


@require_recent_auth
def grave(request):
    return HttpResponse("done")


def with_session(request, user, at=None):
    request.user = user
    request.session = SessionStore()
    if at is not None:
        request.session[reauth.SESSION_KEY] = at
    request._messages = __import__("django.contrib.messages.storage.fallback",
                                   fromlist=["x"]).FallbackStorage(request)
    return request


def test_the_decorator_lets_a_recent_confirmation_through_and_sends_others_to_confirm(cast):
    rf = RequestFactory()
    assert grave(with_session(rf.get("/x/"), cast.worker, int(time.time()))).content == b"done"
    r = grave(with_session(rf.get("/x/?a=1"), cast.worker))
    assert r.status_code == 302 and r["Location"] == "/reauth/?next=%2Fx%2F%3Fa%3D1"
    # A POST cannot be replayed: back to the form's page once confirmed.
    r = grave(with_session(rf.post("/x/", {"next": "/cases/"}), cast.worker,
                           int(time.time()) - 3600))
    assert r.status_code == 302 and r["Location"] == "/reauth/?next=%2Fcases%2F"
