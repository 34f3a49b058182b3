"""Referrals by the type of the service referred (the case's service row the referral
names), made and accepted, equal a direct count on generated cases, in each person's
scope; a referral naming no row is counted as such."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from yiri.cases.identity import read_answers
from yiri.cases.models import Case
from yiri.dashboards import queries
from yiri.dashboards.queries import Filters
from yiri.formconfig.schema import get_schema
from yiri.workflow.models import Referral, ReferralKind, ReferralStatus
from yiri.workflow.services import refer, respond_referral

from ..conftest import make_case

TYPES = ["health", "education", "psychosocial", "legal"]


@pytest.fixture
def referred(cast):
    rng = random.Random(7)
    schema = get_schema("case")
    for i in range(14):
        owner = cast.outsider if i % 5 == 4 else cast.worker
        rows = [{"service_type": rng.choice(TYPES)} for _ in range(rng.randint(1, 3))]
        case = make_case(owner, consent_for_services=True, disclosure_other_orgs=True,
                         services=rows, **({"location_current": "TG"} if owner == cast.outsider else {}))
        row_ids = [r["_id"] for r in read_answers(case, schema)["services"]]
        for j, row in enumerate(row_ids):
            if rng.random() < 0.6:
                referral = refer(owner, case, to_agency=cast.bta, service_row_id=row)
                if (i + j) % 3 == 0:
                    respond_referral(cast.provider, referral, accept=True)
        if i % 4 == 1:
            refer(owner, case, to_agency=cast.bta)  # no service row named


def direct(user) -> dict[str, tuple[int, int]]:
    schema = get_schema("case")
    seen = set(Case.objects.visible_to(user).values_list("pk", flat=True))
    made, accepted = Counter(), Counter()
    labels = dict(queries.lookup_codes("service_type"))
    for r in Referral.objects.filter(kind=ReferralKind.REFERRAL, case_id__in=seen):
        if r.service_row_id is None:
            kind = "Sans ligne de service"
        else:
            rows = {x["_id"]: x for x in read_answers(r.case, schema).get("services") or []}
            code = rows[str(r.service_row_id)].get("service_type")
            kind = labels[code] if code else "Type non indiqué"
        made[kind] += 1
        if r.status in (ReferralStatus.ACCEPTED, ReferralStatus.DONE):
            accepted[kind] += 1
    return {k: (made[k], accepted[k]) for k in made}


@pytest.mark.parametrize("who", ["coordinator", "relay", "worker"])
def test_referrals_by_service_type_equal_a_direct_count(cast, referred, who):
    user = getattr(cast, who)
    got = {name: (total, done) for name, total, done in
           queries.dashboard(user, Filters())["referrals_by_service"]}
    want = direct(user)
    assert got == want
    assert sum(t for t, _d in want.values()) > 0


def test_the_counts_are_made_in_the_database(cast, referred, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # one grouped query, whatever the referrals
        queries.referrals_by_service(Case.objects.visible_to(cast.coordinator))
