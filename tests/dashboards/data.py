"""About forty cases with varied answers, made through the service functions, some of them
assessed, planned, referred and closed through the workflow; plus a few of the Togo
organisation's, outside the Centre relay cell."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from yiri.cases.models import Case
from yiri.workflow.services import decide_approval, refer, request_approval, respond_referral

from ..conftest import make_case

CONCERNS = ["trafficked", "street_child", "worst_forms_child_labour", "separated", "neglected"]
SEXES = ["female", "male", "unknown"]
AGES = [2, 8, 13, 16, 17]
RISKS = ["high", "medium", "low", ""]
PLACES = ["BF-KAD", "BF-03", "BF", ""]


def network_of_cases(cast, n: int = 40, seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    today = timezone.localdate()
    cases = []
    for i in range(n):
        answers = {"registration_date": (today - dt.timedelta(days=rng.randint(0, 420))).isoformat(),
                   "consent_for_services": rng.random() < 0.7, "disclosure_other_orgs": True}
        sex, age, risk, place = (rng.choice(SEXES), rng.choice(AGES), rng.choice(RISKS), rng.choice(PLACES))
        answers["sex"] = sex
        answers["age"] = age
        if risk:
            answers["risk_level"] = risk
        answers["location_current"] = place or None
        picked = [c for c in CONCERNS if rng.random() < 0.35]
        if picked:
            answers["protection_concerns"] = picked
        if i % 4 == 0:
            answers["case_plan_date"] = today.isoformat()
        owner = cast.worker if i % 3 else cast.colleague
        if i % 10 == 9:
            owner, answers["location_current"] = cast.outsider, "TG"
        cases.append(make_case(owner, **answers))
    for i, case in enumerate(cases):
        if case.owner_id == cast.outsider.pk or not case.consent_for_services:
            continue
        if i % 2 == 0:
            a = request_approval(case.owner, case, "assessment")
            decide_approval(cast.admin, a, approve=True)
        if i % 4 == 0:
            a = request_approval(case.owner, case, "case_plan")
            decide_approval(cast.admin, a, approve=True)
        if i % 5 == 1:
            r = refer(case.owner, case, to_agency=cast.bta)
            if i % 10 == 1:
                respond_referral(cast.provider, r, accept=True)
        if i % 7 == 3:
            a = request_approval(case.owner, case, "closure", closure_reason="reunified")
            decide_approval(cast.admin, a, approve=True)
    return list(Case.objects.filter(pk__in=[c.pk for c in cases]))
