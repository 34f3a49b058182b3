"""A page that changes nothing (GET) builds the user's scope once, however many of its
parts ask for it; a request that may change shares (POST…) builds it afresh each time,
so that a referral given or withdrawn by the request is seen by its own next read."""

from __future__ import annotations

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_case, referred_case, sign_in
from yiri.cases.access import MEMO, remember_scopes, scope_q
from yiri.cases.models import Case
from yiri.workflow.services import refer


def share_reads(queries) -> int:
    return sum(q["sql"].startswith('SELECT "cases_recordshare"') for q in queries)


def team_reads(queries) -> int:
    return sum('FROM "accounts_user"' in q["sql"] and "user_groups" in q["sql"] for q in queries)


def test_the_home_page_reads_a_supervisors_shares_and_team_once(cast, client):
    make_case(cast.worker)
    sign_in(client, "manager")
    client.get("/")
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/").status_code == 200
    assert share_reads(seen.captured_queries) == 1
    assert team_reads(seen.captured_queries) <= 1


def test_only_safe_methods_remember_the_scope(cast):
    rf = RequestFactory()
    for method, remembered in (("get", True), ("head", True), ("post", False), ("put", False)):
        request = getattr(rf, method)("/")
        request.user = type(cast.worker).objects.get(pk=cast.worker.pk)
        remember_scopes(request)
        assert hasattr(request.user, MEMO) is remembered, method


def test_a_referral_made_in_a_request_is_seen_by_its_next_read(cast):
    rf = RequestFactory()
    request = rf.post("/")
    request.user = type(cast.provider).objects.get(pk=cast.provider.pk)
    remember_scopes(request)
    case, _, _ = referred_case(cast, accept=False)
    provider = request.user
    before = set(Case.objects.filter(scope_q(provider, Case)).values_list("pk", flat=True))
    other = make_case(cast.worker, consent_for_services=True, disclosure_other_orgs=True,
                      services=[{"service_type": "health"}])
    from yiri.cases.identity import read_answers
    from yiri.formconfig.schema import get_schema

    row = read_answers(other, get_schema("case"))["services"][0]["_id"]
    refer(cast.worker, other, to_agency=cast.bta, to_user=cast.provider, service_row_id=row)
    after = set(Case.objects.filter(scope_q(provider, Case)).values_list("pk", flat=True))
    assert other.pk not in before and other.pk in after


def test_a_remembered_scope_is_the_scope(cast):
    for name, user in cast.everyone.items():
        fresh = type(user).objects.get(pk=user.pk)
        want = set(Case.objects.filter(scope_q(fresh, Case)).values_list("pk", flat=True))
        setattr(fresh, MEMO, {})
        first = set(Case.objects.filter(scope_q(fresh, Case)).values_list("pk", flat=True))
        again = set(Case.objects.filter(scope_q(fresh, Case)).values_list("pk", flat=True))
        assert first == again == want, name
