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
SOURCES = ["police", "ngo", "community", ""]
SERVICES = ["health", "education", "psychosocial", "legal"]


def _work(rng: random.Random, today: dt.date) -> dict:
    """Sources of identification, services, follow-ups and due dates (drawn from their
    own generator, so the other answers stay those the older tests expect)."""
    out: dict = {}
    if source := rng.choice(SOURCES):
        out["identified_by"] = source
    rows = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        row = {"service_type": rng.choice(SERVICES), "implemented": rng.random() < 0.4}
        if not row["implemented"] and rng.random() < 0.6:
            row["appointment_date"] = (today + dt.timedelta(days=rng.randint(-30, 30))).isoformat()
        rows.append(row)
    if rows:
        out["services"] = rows
    if rng.random() < 0.3:
        row = {"followup_type": "in_care", "needed_by": (today + dt.timedelta(days=rng.randint(-20, 20))).isoformat()}
        if rng.random() < 0.3:
            row["done_on"] = today.isoformat()
        out["followups"] = [row]
    if rng.random() < 0.3:
        out["case_plan_due_date"] = (today + dt.timedelta(days=rng.randint(-20, 20))).isoformat()
    return out


def network_of_cases(cast, n: int = 40, seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    work = random.Random(seed + 1000)
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
        answers.update(_work(work, today))
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
