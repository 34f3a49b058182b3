"""Plausible, valid, reproducible case answers for the demo and the benchmarks.

``CaseGenerator`` is pure: given a seed, the day it treats as today and the places
each organisation works in, it yields the same answers in the same order every time,
without touching the database. Subform rows carry their ``_id`` (drawn from the same
random stream) so the answers are already in the cleaned form ``validate_answers``
returns, and big runs can skip validation safely.

About 3 % of cases re-register a child already registered by another organisation,
spelled differently, as happens when a trafficked child is found far from home and
registered again: ``GeneratedCase.duplicate_of`` says which one (ground truth for the
duplicate detector, never stored in the record).
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import uuid
from collections import deque
from dataclasses import dataclass, field

from yiri.lib.ages import age_on

from . import people
from .network import AGENCIES, AgencySpec

YEARS_OF_HISTORY = 5
DUPLICATE_EVERY = 33  # one case in 33 (3 %) registers a child already on file elsewhere
POOL_SIZE = 3000
WORKERS_PER_BATCH = 3


@dataclass
class Places:
    """Location codes the generator may use, read from the reference data."""

    by_agency: dict[str, list[str]]  # communes and villages of the organisation's regions
    villages_by_country: dict[str, list[str]]


@dataclass
class Child:
    first: str  # usual spellings; what a register holds is drawn from ``people.SPELLINGS``
    last: str
    middle: str | None
    sex: str
    birth: dt.date
    nationality: str
    language: str
    origin: str  # village code
    mother: tuple[str, str]
    father_first: str
    mother_phone: str | None


@dataclass
class Registration:
    """A child as one organisation registered it (the pool duplicates are drawn from)."""

    child: Child
    agency: str
    registered: dt.date
    first: str
    last: str
    short_id: str = ""  # known once the batch holding it is written


@dataclass
class GeneratedCase:
    index: int
    answers: dict
    agency: str
    worker: int  # index of the owner among the organisation's case workers
    status: str
    workflow_stage: str
    created_at: dt.datetime
    assign: bool
    registration: Registration
    duplicate_of: Registration | None = None
    exploitation: str | None = None
    extras: dict = field(default_factory=dict)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def spellings(name: str) -> list[str]:
    """Every way a register may write ``name``, the usual spelling first."""
    forms = [name, *people.SPELLINGS.get(name, [])]
    forms += [strip_accents(name), name.upper()]
    return list(dict.fromkeys(forms))


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


PRIMARY_CONCERN = {
    "trafficked": 26, "worst_forms_child_labour": 18, "street_child": 14, "unaccompanied": 12,
    "separated": 12, "physically_abused": 4, "neglected": 4, "migrant": 2,
    "sexually_exploited": 2, "child_marriage": 2, "gbv_survivor": 1, "disabled": 1,
    "serious_health_issue": 1, "other": 1,
}
COMPANION_CONCERNS = {
    "trafficked": ["worst_forms_child_labour", "unaccompanied", "migrant", "separated"],
    "worst_forms_child_labour": ["trafficked", "separated", "serious_health_issue"],
    "street_child": ["separated", "neglected", "physically_abused", "mentally_distressed"],
    "unaccompanied": ["migrant", "trafficked", "street_child"],
    "separated": ["neglected", "street_child", "child_headed_household"],
}
FEMALE_SHARE = {
    "gold_mining": 0.2, "domestic_work": 0.9, "begging": 0.05, "agriculture": 0.3,
    "street_vending": 0.6, "sexual_exploitation": 0.95, "fishing": 0.1, "quarry": 0.4,
}
NEEDS = {
    "trafficked": ["safety", "psychosocial", "family_reunification", "health", "legal"],
    "worst_forms_child_labour": ["health", "education", "vocational_training", "livelihoods"],
    "street_child": ["shelter", "food", "family_mediation", "psychosocial", "education"],
    "unaccompanied": ["safety", "family_reunification", "shelter", "civil_registration"],
    "separated": ["family_reunification", "family_mediation", "basic_items"],
}
SERVICE_FOR_NEED = {
    "safety": "safe_house", "health": "health", "psychosocial": "psychosocial",
    "legal": "legal", "family_reunification": "family_reunification",
    "family_mediation": "family_mediation", "education": "education",
    "vocational_training": "vocational_training", "livelihoods": "livelihoods",
    "food": "food", "shelter": "safe_house", "civil_registration": "registration",
    "basic_items": "nfi", "other": "other",
}
PUBLIC_PROVIDERS = {
    "BF": ["Action sociale", "CSPS du secteur", "Brigade des mineurs", "Tribunal pour enfants",
           "CHU Yalgado"],
    "TG": ["Direction préfectorale de l'action sociale", "CMS du quartier",
           "Brigade pour mineurs", "Tribunal pour enfants", "CHU Sylvanus Olympio"],
}
STAGES = ["new", "assessment", "case_plan", "service_provision", "services_implemented"]


class CaseGenerator:
    def __init__(self, seed: int, today: dt.date, places: Places,
                 workers: dict[str, int], agencies: tuple[AgencySpec, ...] = AGENCIES,
                 batch_size: int = 5000) -> None:
        self.rng = random.Random(seed)
        self.batch_size = batch_size
        self.today = today
        self.places = places
        self.workers = workers
        self.agencies = {a.code: a for a in agencies}
        self.agency_codes = [a.code for a in agencies]
        self.agency_weights = [a.weight for a in agencies]
        self.pool: deque[Registration] = deque(maxlen=POOL_SIZE)

    # --- small draws -------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _day(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def _phone(self, country: str) -> str:
        rng = self.rng
        if country == "BF":
            head = f"+226 {rng.choice([70, 71, 72, 74, 75, 76, 78, 65, 66, 56])}"
        else:
            head = f"+228 {rng.choice([90, 91, 92, 93, 96, 97, 98, 99])}"
        number = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(3))
        # Registers write the same number with and without the country code.
        return f"{head} {number}" if rng.random() < 0.6 else f"{head[5:]}{number.replace(' ', '')}"

    def _spell(self, name: str) -> str:
        r = self.rng.random()
        forms = spellings(name)
        if r < 0.72 or len(forms) == 1:
            return name
        variants = people.SPELLINGS.get(name, [])
        if r < 0.88 and variants:
            return self.rng.choice(variants)
        if r < 0.95:
            return strip_accents(name)
        return name.upper()

    def _respell(self, name: str, written: str) -> str:
        """Another way of writing ``name`` than ``written``, if there is one."""
        others = [f for f in spellings(name) if f != written]
        return self.rng.choice(others) if others else written

    def _registration_date(self) -> dt.date:
        # Networks grow: recent years hold more cases than the first.
        days = YEARS_OF_HISTORY * 365
        ago = int(days * (1 - self.rng.random() ** 0.6))
        return self.today - dt.timedelta(days=ago)

    # --- the child ---------------------------------------------------------------------

    def _family_group(self, country: str) -> tuple[str, list[str]]:
        families = people.BF_FAMILY if country == "BF" else people.TG_FAMILY
        group = self.rng.choices(list(families), weights=[w for _, w in families.values()])[0]
        return group, families[group][0]

    def _new_child(self, country: str, sex: str, age: int, registered: dt.date) -> Child:
        rng = self.rng
        # A few children are found in the other country of the network.
        if rng.random() < 0.06:
            country = "TG" if country == "BF" else "BF"
        group, family = self._family_group(country)
        firsts = people.BF_FIRST if country == "BF" else people.TG_FIRST
        first = rng.choice(firsts[sex])
        middle = rng.choice(firsts[sex]) if rng.random() < 0.15 else None
        if middle == first:
            middle = None
        birth = registered - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        _, mother_family = self._family_group(country)
        return Child(
            first=first, last=rng.choice(family), middle=middle, sex=sex, birth=birth,
            nationality=country.lower(), language=people.LANGUAGES[country][group],
            origin=rng.choice(self.places.villages_by_country[country]),
            mother=(rng.choice(firsts["female"]), rng.choice(mother_family)),
            father_first=rng.choice(firsts["male"]),
            mother_phone=self._phone(country) if rng.random() < 0.5 else None,
        )

    def _concerns(self, primary: str) -> list[str]:
        concerns = [primary]
        companions = COMPANION_CONCERNS.get(primary)
        if companions and self.rng.random() < 0.5:
            concerns.append(self.rng.choice(companions))
        return concerns

    def _age(self, primary: str) -> int:
        rng = self.rng
        if primary in ("trafficked", "worst_forms_child_labour", "sexually_exploited"):
            return rng.choice([8, 9, 10, 11, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 16, 16, 17])
        if primary == "child_marriage":
            return rng.randint(12, 17)
        if primary == "street_child":
            return rng.randint(7, 17)
        if primary == "neglected":
            return rng.randint(0, 12)
        return rng.randint(0, 17)

    # --- one case ----------------------------------------------------------------------

    def case(self, index: int) -> GeneratedCase:
        rng = self.rng
        agency = rng.choices(self.agency_codes, weights=self.agency_weights)[0]
        primary = _weighted(rng, PRIMARY_CONCERN)
        concerns = self._concerns(primary)
        exploitation = None
        if "trafficked" in concerns or "worst_forms_child_labour" in concerns:
            country = self.agencies[agency].country
            choices = people.EXPLOITATION[country]
            exploitation = rng.choices(choices, weights=[c[4] for c in choices])[0]

        source = None
        if index % DUPLICATE_EVERY == DUPLICATE_EVERY // 2 and self.pool:
            source = self.pool[rng.randrange(len(self.pool))]
            registered = min(self.today, source.registered + dt.timedelta(days=rng.randint(3, 400)))
            age = age_on(source.child.birth, registered)
            if age > 17 or source.agency == agency and len(self.agency_codes) < 2:
                source = None
            elif source.agency == agency:
                agency = rng.choice([c for c in self.agency_codes if c != source.agency])
        if source is not None:
            child = source.child
            first, last = self._respell(child.first, source.first), source.last
            if rng.random() < 0.5 or first == source.first:
                last = self._respell(child.last, source.last)
            if rng.random() < 0.08:  # first and family names swapped in the register
                first, last = last, first
        else:
            registered = self._registration_date()
            if exploitation:
                female = FEMALE_SHARE.get(exploitation[0], 0.5)
            elif primary in ("child_marriage", "gbv_survivor"):
                female = 0.95
            else:
                female = 0.5
            sex = "female" if rng.random() < female else "male"
            age = self._age(primary)
            child = self._new_child(self.agencies[agency].country, sex, age, registered)
            first, last = self._spell(child.first), self._spell(child.last)

        registration = Registration(child, agency, registered, first, last)
        if source is None:
            self.pool.append(registration)
        answers, status, stage = self._answers(
            agency, child, first, last, age, registered, concerns, exploitation)
        hour = dt.time(rng.randint(7, 17), rng.randint(0, 59), rng.randint(0, 59))
        created = dt.datetime.combine(registered, hour, tzinfo=dt.UTC)
        return GeneratedCase(
            index=index, answers=answers, agency=agency,
            worker=self._worker(agency, index), status=status, workflow_stage=stage,
            created_at=created, assign=rng.random() < 0.03, registration=registration,
            duplicate_of=source, exploitation=exploitation[0] if exploitation else None,
            extras={"concerns": concerns, "age": age},
        )

    def _answers(self, agency: str, child: Child, first: str, last: str, age: int,
                 registered: dt.date, concerns: list[str], exploitation) -> tuple[dict, str, str]:
        rng = self.rng
        spec = self.agencies[agency]
        country = spec.country
        here = self.places.by_agency[agency]
        today = self.today

        span = (today - registered).days
        closed = span >= 45 and rng.random() < min(0.8, span / 900)
        if closed:
            end = registered + dt.timedelta(days=rng.randint(30, min(span, 720)))
            stage = "closed"
        else:
            end = today
            top = min(len(STAGES) - 1, span // 12)
            stage = rng.choices(STAGES[: top + 1], weights=[1, 2, 3, 3, 2][: top + 1])[0]
        level = len(STAGES) if closed else STAGES.index(stage)

        a: dict = {
            "name_first": first,
            "sex": child.sex,
            "age": age,
            "registration_date": registered.isoformat(),
            "nationality": [child.nationality],
            "language": [child.language] + (["french"] if age >= 10 and rng.random() < 0.3 else []),
            "location_current": rng.choice(here),
        }
        if last:
            a["name_last"] = last
        if child.middle and rng.random() < 0.7:
            a["name_middle"] = self._spell(child.middle)
        if rng.random() < 0.08:
            a["name_nickname"] = rng.choice(people.NICKNAMES[child.sex])
        if rng.random() < 0.62:
            a["date_of_birth"] = child.birth.isoformat()
            a["age"] = age_on(child.birth, registered)  # the age on the registration day
        else:
            a["age_estimated"] = True
        a["birth_registered"] = rng.choices(["yes", "no", "unknown"], weights=[45, 35, 20])[0]
        if a["birth_registered"] == "yes" and rng.random() < 0.5:
            a["other_id_type"] = "birth_certificate"
            a["other_id_no"] = f"{rng.randint(1, 4999)}/{child.birth.year}"
        if rng.random() < 0.4:
            a["address_current"] = rng.choice(people.ADDRESS[country]).format(n=rng.randint(1, 30))
        if age >= 14 and rng.random() < 0.05:
            a["phone"] = self._phone(country)

        # Consent
        a["consent_source"] = "caregiver" if age < 10 else rng.choices(
            ["caregiver", "child_and_caregiver", "child", "other"], weights=[30, 40, 25, 5])[0]
        a["consent_date"] = registered.isoformat()
        a["consent_for_services"] = rng.random() < 0.93
        a["consent_reporting"] = rng.random() < 0.8
        separated = bool({"separated", "unaccompanied", "trafficked"} & set(concerns))
        if separated:
            a["consent_tracing"] = rng.random() < 0.9
        a["disclosure_other_orgs"] = rng.random() < 0.7
        if a["disclosure_other_orgs"]:
            a["share_with"] = rng.sample(["other_organisations", "authorities", "family"],
                                         rng.randint(1, 2))
        else:
            a["withholding_reason"] = rng.choice(
                ["fear_of_harm", "wants_to_communicate_self", "other"])

        # Protection concerns
        trafficked = "trafficked" in concerns
        a["protection_concerns"] = concerns
        if "unaccompanied" in concerns or (trafficked and rng.random() < 0.5):
            a["protection_status"] = "unaccompanied"
        elif separated:
            a["protection_status"] = "separated"
        else:
            a["protection_status"] = "none"
        risk = rng.choices(["high", "medium", "low"],
                           weights=[55, 35, 10] if trafficked else [20, 45, 35])[0]
        a["risk_level"] = risk
        a["urgent_protection_concern"] = risk == "high" and rng.random() < 0.4
        if child.nationality != country.lower():
            a["displacement_status"] = "foreign_national"
        elif agency in ("SES", "EEE") and rng.random() < 0.4:
            a["displacement_status"] = "idp"
        elif trafficked and rng.random() < 0.3:
            a["displacement_status"] = "returnee"
        else:
            a["displacement_status"] = "resident"
        if "other" in concerns:
            a["other_concern_details"] = "Enfant gardé comme berger sans rémunération."
        if rng.random() < 0.3:
            a["concern_details"] = [
                {"_id": self._uuid(), "concern_type": c, "concern_period": "registration",
                 "concern_identified_on": registered.isoformat()}
                for c in concerns
            ]

        # Trafficking and exploitation
        if exploitation:
            kind, place, scope, where, _ = exploitation
            a["exploitation_type"] = [kind]
            if rng.random() < 0.15:
                extra = rng.choice(["street_vending", "agriculture", "domestic_work"])
                if extra != kind:
                    a["exploitation_type"].append(extra)
            a["exploitation_place"] = place
            a["exploitation_country"] = where
            started = max(child.birth, registered - dt.timedelta(days=rng.randint(20, 700)))
            a["exploitation_start_date"] = started.isoformat()
            if trafficked:
                a["trafficking_scope"] = scope
                if scope == "internal":
                    a["exploitation_location"] = a["location_current"]
                a["route_origin"] = child.origin
                towns = rng.sample(people.TRANSIT[country], rng.randint(1, 2))
                a["route_transit"] = " → ".join(towns)
                a["route_destination"] = place.split(",")[-1].strip()
                a["intermediary_relation"] = rng.choices(
                    ["relative", "stranger", "koranic_teacher", "employer", "neighbour", "parent"],
                    weights=[30, 25, 15 if kind == "begging" else 2, 15, 10, 5])[0]
                a["payment_to_family"] = rng.choice(["yes", "no", "unknown"])
                a["identified_on"] = max(started, registered - dt.timedelta(
                    days=rng.randint(0, 10))).isoformat()
                a["identified_by"] = rng.choices(
                    ["police", "gendarmerie", "ngo", "community", "border_post", "social_services"],
                    weights=[15, 10, 30, 20, 10, 15])[0]
                if closed:
                    a["return_status"] = rng.choice(["returned", "reintegrated", "reintegrated"])
                elif level >= 3:
                    a["return_status"] = rng.choice(["planned", "in_transit", "returned"])
                else:
                    a["return_status"] = rng.choice(["not_applicable", "planned"])
                a["legal_proceedings"] = rng.choices(
                    ["none", "complaint_filed", "investigation", "trial", "judgement"],
                    weights=[60, 20, 12, 5, 3])[0]
                if rng.random() < 0.4:
                    a["exploitation_narrative"] = rng.choice(people.PHRASES["narrative"])

        # Family
        mother = {"_id": self._uuid(), "relation": "mother",
                  "relation_name": " ".join(self._spell(n) for n in child.mother),
                  "alive": rng.choices(["alive", "dead", "unknown"], weights=[85, 8, 7])[0],
                  "relation_sex": "female", "relation_location": child.origin}
        if child.mother_phone:
            mother["relation_phone"] = child.mother_phone
        if rng.random() < 0.6:
            mother["relation_age"] = min(120, age + rng.randint(17, 40))
        family = [mother]
        if rng.random() < 0.7:
            family.append({"_id": self._uuid(), "relation": "father",
                           "relation_name": f"{self._spell(child.father_first)} {last}".strip(),
                           "alive": rng.choices(["alive", "dead", "unknown"], weights=[80, 12, 8])[0],
                           "relation_sex": "male", "relation_location": child.origin})
        if rng.random() < 0.2:
            family.append({"_id": self._uuid(), "relation": rng.choice(["aunt", "uncle", "grandmother"]),
                           "is_caregiver": True, "lives_with_child": True})
        caregiver = rng.random() < 0.6
        for row in family:
            if row["relation"] == "mother":
                row["is_caregiver"] = caregiver
                row["lives_with_child"] = caregiver and not separated
        a["family_details"] = family

        if rng.random() < 0.7:
            if separated and level <= 2:
                care = rng.choice(["transit_centre", "foster", "kinship"])
            elif "street_child" in concerns and not closed:
                care = rng.choice(["none", "residential", "transit_centre"])
            else:
                care = rng.choice(["parents", "parents", "kinship", "customary_caregiver",
                                   "koranic_school" if country == "BF" else "step_parent"])
            a["care_arrangement_type"] = care
            a["care_arrangement_started_on"] = self._day(registered, end).isoformat()
            if care in ("kinship", "customary_caregiver", "foster"):
                a["caregiver_relation"] = rng.choice(["aunt", "uncle", "grandmother", "other_family"])
                a["caregiver_name"] = " ".join(
                    self._spell(n) for n in (rng.choice(people.BF_FIRST["female"] if country == "BF"
                                                         else people.TG_FIRST["female"]), child.last))
                if rng.random() < 0.5:
                    a["caregiver_phone"] = self._phone(country)

        # Tracing
        if separated and rng.random() < 0.7:
            if closed:
                status = rng.choice(["reunified", "reunified", "closed"])
            else:
                status = ["open", "tracing_in_progress", "tracing_in_progress", "verified",
                          "reunified"][min(level, 4)]
            a["tracing_status"] = status
            a["separation_date"] = max(
                child.birth, registered - dt.timedelta(days=rng.randint(5, 800))).isoformat()
            a["separation_cause"] = rng.choice(
                ["trafficking", "confiage", "migration", "poverty", "family_abuse"]
                + (["conflict", "population_movement"] if agency in ("SES", "EEE") else []))
            a["separation_place"] = rng.choice(people.TRANSIT[country])
            if status == "reunified":
                a["reunification_date"] = self._day(registered, end).isoformat()
            a["tracing_actions"] = [
                {"_id": self._uuid(),
                 "tracing_action_type": rng.choice(["case_by_case", "individual", "referral"]),
                 "tracing_action_date": self._day(registered, end).isoformat(),
                 "tracing_outcome": "successful" if status in ("verified", "reunified")
                 else rng.choice(["pending", "unsuccessful"])}
                for _ in range(rng.randint(1, 2))
            ]

        # Assessment, case plan, services, follow-up: as far as the stage reached
        if level >= 1:
            asked = self._day(registered, min(end, registered + dt.timedelta(days=5)))
            a["assessment_requested_on"] = asked.isoformat()
            a["case_plan_due_date"] = (asked + dt.timedelta(days=rng.choice([14, 21, 30]))).isoformat()
            pool = NEEDS.get(concerns[0], ["health", "education", "psychosocial", "food"])
            a["needs_identified"] = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
            if rng.random() < 0.5:
                a["child_wishes"] = rng.choice(people.PHRASES["wishes"])
            if rng.random() < 0.6:
                a["assessment_summary"] = rng.choice(people.PHRASES["summary"])
        else:
            asked = registered
        if level >= 2:
            planned = self._day(asked, min(end, asked + dt.timedelta(days=25)))
            a["case_plan_date"] = planned.isoformat()
            a["case_plan_goal"] = rng.choice(people.PHRASES["goal"])
            a["interventions"] = [
                {"_id": self._uuid(), "intervention_type": SERVICE_FOR_NEED[need],
                 "provider_agency": self._provider(agency), "time_frame": rng.choice(
                     ["2 semaines", "1 mois", "3 mois", "6 mois"]),
                 "implemented": level >= 4}
                for need in a["needs_identified"]
            ]
        else:
            planned = asked
        if level >= 3:
            rows = []
            for need in a["needs_identified"] + (["food"] if rng.random() < 0.3 else []):
                later = 0 if closed or level >= 4 else 30  # open plans book ahead
                appointment = self._day(planned, end + dt.timedelta(days=later))
                done = appointment <= end and (level >= 4 or rng.random() < 0.5)
                row = {"_id": self._uuid(), "response_type": "service_provision",
                       "service_type": SERVICE_FOR_NEED[need],
                       "response_time_frame": rng.choice(["one_day", "three_days", "one_day"]),
                       "appointment_date": appointment.isoformat(),
                       "provider_agency": self._provider(agency), "implemented": done}
                if done:
                    row["implemented_on"] = appointment.isoformat()
                if rng.random() < 0.5:
                    row["delivery_location"] = a["location_current"]
                if rng.random() < 0.1:
                    row["provider_name"] = " ".join(self._adult_name(country))
                if rng.random() < 0.3:
                    row["service_notes"] = rng.choice(people.PHRASES["service_notes"])
                rows.append(row)
            a["services"] = rows
        if level >= 4 or (level == 3 and rng.random() < 0.4):
            followups = []
            for _ in range(rng.randint(1, 3)):
                needed_by = self._day(planned, end + dt.timedelta(days=0 if closed else 20))
                row = {"_id": self._uuid(),
                       "followup_type": rng.choice(["for_service", "after_reunification", "in_care"]),
                       "followup_service_type": rng.choice([r["service_type"] for r in a.get(
                           "services", [{"service_type": "child_protection"}])]),
                       "needed_by": needed_by.isoformat()}
                if needed_by <= end and rng.random() < 0.8:
                    row["done_on"] = needed_by.isoformat()
                    row["child_seen"] = rng.random() < 0.9
                    if rng.random() < 0.4:
                        row["followup_notes"] = rng.choice(people.PHRASES["followup_notes"])
                followups.append(row)
            a["followups"] = followups

        if closed:
            reason = "reached_majority" if age >= 17 and rng.random() < 0.5 else rng.choices(
                ["reunified", "formal_closing", "transferred", "not_seen", "repatriated"],
                weights=[40, 35, 10, 10, 5])[0]
            a["closure_reason"] = reason
            a["closure_date"] = end.isoformat()
            if rng.random() < 0.5:
                a["closure_details"] = people.PHRASES["closure"][reason]
        return a, "closed" if closed else "open", stage

    def _worker(self, agency: str, index: int) -> int:
        """The owner, among a few of the organisation's case workers taking turns by batch.

        Everyone ends up with the same share, and a batch makes a few large writes
        instead of one small write per case worker.
        """
        n = self.workers[agency]
        turns = max(1, n // WORKERS_PER_BATCH)
        turn = (index // self.batch_size) % turns
        return self.rng.choice(range(turn, n, turns))

    def _provider(self, agency: str) -> str:
        country = self.agencies[agency].country
        if self.rng.random() < 0.7:
            same = [c for c, s in self.agencies.items() if s.country == country]
            return self.rng.choice(same)
        return self.rng.choice(PUBLIC_PROVIDERS[country])

    def _adult_name(self, country: str) -> tuple[str, str]:
        _, family = self._family_group(country)
        firsts = people.BF_FIRST if country == "BF" else people.TG_FIRST
        return self.rng.choice(firsts[self.rng.choice(["female", "male"])]), self.rng.choice(family)

    # --- incidents and tracing requests about generated cases --------------------------

    def incident(self, case: GeneratedCase) -> dict:
        rng = self.rng
        a = case.answers
        registered = dt.date.fromisoformat(a["registration_date"])
        kinds = {
            "trafficked": ["trafficking"], "worst_forms_child_labour": ["worst_forms_child_labour"],
            "physically_abused": ["physical_assault"], "sexually_exploited": ["sexual_exploitation"],
            "child_marriage": ["child_marriage"], "gbv_survivor": ["sexual_assault"],
        }
        types = next((kinds[c] for c in case.extras["concerns"] if c in kinds), ["neglect"])
        answers = {
            "incident_date": max(case.registration.child.birth, registered - dt.timedelta(
                days=rng.randint(0, 60))).isoformat(),
            "incident_date_estimated": rng.random() < 0.4,
            "incident_location": a.get("exploitation_location") or a["location_current"],
            "incident_place_type": {
                "gold_mining": "mining_site", "domestic_work": "home", "begging": "street",
                "street_vending": "market", "agriculture": "fields_bush",
            }.get(case.exploitation or "", rng.choice(["home", "street", "border", "transport"])),
            "incident_type": types,
            "perpetrator_relation": rng.choice(
                ["intermediary", "employer", "relative", "stranger", "koranic_teacher"]),
            "perpetrator_sex": rng.choice(["male", "male", "female"]),
            "reported_to_police": rng.random() < 0.35,
            "survivor_age": case.extras["age"],
            "survivor_sex": case.registration.child.sex,
            "survivor_nationality": case.registration.child.nationality,
            "survivor_protection_status": a.get("protection_status", "none"),
            "medical_care_received": rng.random() < 0.5,
        }
        referred = sorted({r["service_type"] for r in a.get("services", [])})
        if referred:
            answers["referred_services"] = referred
        if answers["reported_to_police"]:
            answers["police_report_date"] = registered.isoformat()
            answers["legal_proceedings"] = rng.choice(["complaint_filed", "investigation"])
        return answers

    def tracing_request(self, case: GeneratedCase) -> dict:
        """A parent looking for the child, writing the names their own way."""
        rng = self.rng
        child = case.registration.child
        a = case.answers
        registered = dt.date.fromisoformat(a["registration_date"])
        row = {
            "_id": self._uuid(),
            "sought_name_first": self._respell(child.first, case.registration.first),
            "sought_name_last": self._spell(child.last),
            "sought_sex": child.sex,
            "sought_age": case.extras["age"],
            "sought_nationality": [child.nationality],
            "separation_cause": a.get("separation_cause", "trafficking"),
            "last_seen_location": child.origin,
            "trace_status": rng.choice(["open", "tracing", "verified"]),
        }
        if rng.random() < 0.3:
            row["sought_description"] = "Porte une cicatrice au front, parle peu le français."
        answers = {
            "inquiry_date": max(registered - dt.timedelta(days=rng.randint(0, 90)),
                                child.birth).isoformat(),
            "tracing_request_status": "open",
            "inquirer_name_first": self._spell(child.mother[0]),
            "inquirer_name_last": self._spell(child.mother[1]),
            "inquirer_relation": "mother",
            "inquirer_location": child.origin,
            "traces": [row],
        }
        if child.mother_phone:
            answers["inquirer_phone"] = child.mother_phone
        return answers
