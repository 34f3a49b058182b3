"""User accounts through the API: administrators only, passwords checked, changes audited."""

from __future__ import annotations

import pytest

from yiri.accounts.models import ApiToken, User
from yiri.audit.models import AuditAction, AuditEvent

from ..conftest import PASSWORD, enrolled_device, totp_code

NEW_PASSWORD = "un-tout-autre-secret-91"


def changes_of(user):
    return AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE, record_id=user.pk)


@pytest.mark.parametrize("who", ["manager", "worker", "provider", "relay", "coordinator",
                                 "partner", "outsider"])
def test_only_administrators_manage_users(cast, api, who):
    client = api(cast.everyone[who])
    assert client.get("/api/v1/users/").status_code == 403
    assert client.post("/api/v1/users/", {"username": "x", "password": NEW_PASSWORD},
                       format="json").status_code == 403
    assert client.patch(f"/api/v1/users/{cast.worker.pk}/", {"role": "administrator"},
                        format="json").status_code == 403
    assert cast.worker.role.code == User.objects.get(pk=cast.worker.pk).role.code


def test_an_administrator_lists_users_with_role_and_agency(cast, api):
    rows = api(cast.admin).get("/api/v1/users/").json()["results"]
    worker = next(u for u in rows if u["username"] == "worker")
    assert (worker["role"], worker["agency"], worker["is_active"]) == ("case_worker", "ACE", True)
    assert worker["groups"] == [str(cast.team_a.pk)]
    assert "password" not in worker


def test_creating_a_user_checks_the_password_rules(cast, api):
    r = api(cast.admin).post("/api/v1/users/", {"username": "nouvelle", "password": "court",
                                                "role": "case_worker"}, format="json")
    assert r.status_code == 400
    assert any("trop court" in m for m in r.json()["errors"]["password"])
    r = api(cast.admin).post("/api/v1/users/", {"username": "nouvelle", "role": "case_worker"},
                             format="json")
    assert r.status_code == 400 and "password" in r.json()["errors"]
    assert not User.objects.filter(username="nouvelle").exists()


def test_a_password_like_the_user_name_is_refused(cast, api):
    r = api(cast.admin).post("/api/v1/users/", {"username": "aminata.sawadogo",
                                                "password": "aminata.sawadogo"}, format="json")
    assert r.status_code == 400 and "password" in r.json()["errors"]


def test_a_created_user_can_sign_in_and_its_creation_is_audited(cast, api):
    r = api(cast.admin).post("/api/v1/users/", {
        "username": "nouvelle", "password": NEW_PASSWORD, "role": "case_worker", "agency": "ACE",
        "groups": [str(cast.team_b.pk)], "first_name": "Aminata",
    }, format="json")
    assert r.status_code == 201, r.json()
    user = User.objects.get(username="nouvelle")
    assert user.role.code == "case_worker" and user.agency == cast.ace
    assert list(user.user_groups.all()) == [cast.team_b]
    assert user.check_password(NEW_PASSWORD)
    created = changes_of(user).filter(details__created=True).get()
    assert created.user == cast.admin
    assert api(user).get("/api/v1/cases/").status_code == 200


def test_changing_role_teams_and_activation_is_audited_with_the_administrator(cast, api):
    earlier = list(changes_of(cast.worker).values_list("pk", flat=True))  # the cast's creation
    r = api(cast.admin).patch(f"/api/v1/users/{cast.worker.pk}/", {
        "role": "manager", "groups": [str(cast.team_b.pk)], "reauth_password": PASSWORD,
        "reauth_otp": totp_code(enrolled_device(cast.admin)),
    }, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["role"] == "manager"
    events = changes_of(cast.worker).exclude(pk__in=earlier)
    assert events.filter(details__role="manager").get().user == cast.admin
    assert events.filter(details__has_key="user_groups").exists()
    assert all(e.user == cast.admin for e in events)
    r = api(cast.admin).patch(f"/api/v1/users/{cast.worker.pk}/", {"is_active": False}, format="json")
    assert r.status_code == 200
    assert events.filter(details__is_active=False).exists()


def test_a_deactivated_user_is_refused_by_the_api(cast, api):
    client = api(cast.worker)
    api(cast.admin).patch(f"/api/v1/users/{cast.worker.pk}/", {"is_active": False}, format="json")
    assert client.get("/api/v1/cases/").status_code == 401


def test_setting_a_password_is_checked_audited_and_ends_the_old_token(cast, api):
    worker_client = api(cast.worker)
    admin = api(cast.admin)
    r = admin.patch(f"/api/v1/users/{cast.worker.pk}/", {"password": "worker"}, format="json")
    assert r.status_code == 400
    r = admin.patch(f"/api/v1/users/{cast.worker.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert r.status_code == 200
    worker = User.objects.get(pk=cast.worker.pk)
    assert worker.check_password(NEW_PASSWORD) and not worker.check_password(PASSWORD)
    assert changes_of(worker).filter(details__password_set=True).get().user == cast.admin
    assert not ApiToken.objects.filter(user=worker).exists()
    assert worker_client.get("/api/v1/cases/").status_code == 401


def test_an_unknown_role_or_agency_is_a_400(cast, api):
    r = api(cast.admin).patch(f"/api/v1/users/{cast.worker.pk}/",
                              {"role": "emperor", "agency": "NOPE"}, format="json")
    assert r.status_code == 400
    assert set(r.json()["errors"]) == {"role", "agency"}


def test_moving_a_user_to_another_agency_is_audited(cast, api):
    earlier = list(changes_of(cast.worker).values_list("pk", flat=True))
    r = api(cast.admin).patch(f"/api/v1/users/{cast.worker.pk}/", {"agency": "BTA"}, format="json")
    assert r.status_code == 200
    event = changes_of(cast.worker).exclude(pk__in=earlier).get()
    assert (event.user, event.details["agency"]) == (cast.admin, "BTA")
