"""The demo network: member organisations, relay cells, teams and users.

Everything here is invented: names, acronyms, phone numbers (+226 / +228 formats with
made-up numbers) and ``@example.org`` addresses. Creating it twice changes nothing.
"""

from __future__ import annotations

import math
import os
import random
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from yiri.accounts.models import Role, User, UserGroup
from yiri.lib import names
from yiri.lib.datadir import generated_file
from yiri.network.models import Agency, Location, RelayCell

from . import people


def demo_password() -> str:
    """The password of every demo account: ``YIRI_DEMO_PASSWORD``, else one generated for
    this installation and kept in the data folder, so no guessable password ships with the
    code (a demo laptop may later hold real cases)."""
    return os.environ.get("YIRI_DEMO_PASSWORD") or generated_file(
        settings.DATA_DIR, "demo_password", lambda: "yiri-" + secrets.token_urlsafe(9)
    )
CASES_PER_WORKER = 2000  # above this the demo adds case workers so caseloads stay plausible
WORKERS_PER_TEAM = 8


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    acronym: str
    country: str
    regions: tuple[str, ...]
    town: str
    weight: int  # share of the demo cases
    services: tuple[str, ...]


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec("ABE", "Association Burkinabè pour l'Enfance", "ABE", "BF", ("BF-03", "BF-11"),
               "Ouagadougou, secteur 15", 20,
               ("psychosocial", "family_reunification", "education", "safe_house")),
    AgencySpec("CEAE", "Centre d'Écoute et d'Accueil des Enfants du Nazinon", "CEAE", "BF",
               ("BF-07", "BF-06"), "Manga", 10, ("safe_house", "psychosocial", "health")),
    AgencySpec("APEH", "Action pour la Protection des Enfants des Hauts-Bassins", "APEH", "BF",
               ("BF-09", "BF-02"), "Bobo-Dioulasso, Accart-Ville", 12,
               ("legal", "vocational_training", "family_mediation")),
    AgencySpec("SES", "Sahel Enfance Solidarité", "SES", "BF", ("BF-12", "BF-05", "BF-10"),
               "Kaya", 10, ("food", "nfi", "registration", "child_protection")),
    AgencySpec("EEE", "Est Enfance Espoir", "3E", "BF", ("BF-08", "BF-04"), "Fada N'Gourma", 8,
               ("education", "livelihoods", "family_reunification")),
    AgencySpec("RTEP", "Réseau Togolais Enfance Protégée", "RTEP", "TG", ("TG-M", "TG-P"),
               "Lomé, Tokoin", 18, ("safe_house", "legal", "psychosocial", "health")),
    AgencySpec("ASKE", "Association Savanes-Kara pour l'Enfance", "ASKE", "TG",
               ("TG-K", "TG-S"), "Dapaong", 12,
               ("family_reunification", "education", "vocational_training")),
    AgencySpec("FEES", "Foyer Enfance Espérance de Sokodé", "FEES", "TG", ("TG-C", "TG-K"),
               "Sokodé", 10, ("safe_house", "family_mediation", "food")),
)


@dataclass(frozen=True)
class CellSpec:
    code: str
    name: str
    regions: tuple[str, ...]
    members: tuple[str, ...]
    country: str


CELLS: tuple[CellSpec, ...] = (
    CellSpec("CRR-BF-CPS", "Cellule régionale de relais Centre, Plateau-Central et Centre-Sud",
             ("BF-03", "BF-11", "BF-07"), ("ABE", "CEAE"), "BF"),
    CellSpec("CRR-TG-KS", "Cellule régionale de relais Kara-Savanes", ("TG-K", "TG-S"),
             ("ASKE", "FEES"), "TG"),
)


@dataclass
class Login:
    username: str
    role: str
    agency: str = ""
    cell: str = ""
    created: bool = True


@dataclass
class DemoNetwork:
    """What the case generator needs to know about the network, as plain data."""

    agencies: dict[str, Agency]
    workers: dict[str, list[User]]  # agency code -> case workers
    managers: dict[str, list[User]]  # agency code -> managers (team order)
    providers: dict[str, User]
    logins: list[Login] = field(default_factory=list)

    def team_manager(self, worker: User) -> User:
        agency_workers = self.workers[worker.agency.code]
        team = agency_workers.index(worker) // WORKERS_PER_TEAM
        return self.managers[worker.agency.code][team]


def workers_per_agency(n_cases: int) -> int:
    """Three case workers per organisation, more when the caseloads would be absurd."""
    return max(3, math.ceil(n_cases / (len(AGENCIES) * CASES_PER_WORKER)))


def _phone(rng: random.Random, country: str) -> str:
    if country == "BF":
        return f"+226 {rng.choice([70, 71, 72, 74, 75, 76, 78, 65, 66, 56])} " + " ".join(
            f"{rng.randint(0, 99):02d}" for _ in range(3))
    return f"+228 {rng.choice([90, 91, 92, 93, 96, 97, 98, 99])} " + " ".join(
        f"{rng.randint(0, 99):02d}" for _ in range(3))


def _adult(rng: random.Random, country: str) -> tuple[str, str]:
    families = people.BF_FAMILY if country == "BF" else people.TG_FAMILY
    firsts = people.BF_FIRST if country == "BF" else people.TG_FIRST
    group = rng.choices(list(families), weights=[w for _, w in families.values()])[0]
    return rng.choice(firsts[rng.choice(["female", "male"])]), rng.choice(families[group][0])


def _username(first: str, last: str, taken: set[str]) -> str:
    base = f"{names.normalise(first).replace(' ', '')}.{names.normalise(last).replace(' ', '')}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


@transaction.atomic
def create_network(seed: int, n_workers: int) -> DemoNetwork:
    """Create (or find) the demo organisations, relay cells, teams and users.

    People are drawn from their own random stream, so the same seed gives the same
    logins whatever the number of cases; existing users keep their password.
    """
    rng = random.Random(f"yiri-demo-network-{seed}")
    roles = {r.code: r for r in Role.objects.all()}
    places = {loc.code: loc for loc in Location.objects.filter(level__in=["country", "region"])}
    password = make_password(demo_password())  # hashed once: Argon2 is slow on purpose
    taken: set[str] = {"admin"}
    logins: list[Login] = []

    def user(country, first, last, role, *, agency=None, cell=None, username=None,
             **extra) -> User:
        phone = _phone(rng, country)  # drawn even when unused so reruns draw the same people
        while True:
            name = username or _username(first, last, taken)
            found = User.objects.filter(username=name).select_related("role").first()
            # A namesake with another job (another seed, a real account) is not ours.
            if username or found is None or (found.role and found.role.code == role
                                             and found.agency == agency
                                             and found.relay_cell == cell):
                username = name
                break
        logins.append(Login(username, role, agency.code if agency else "",
                            cell.code if cell else "", created=found is None))
        if found:
            return found
        return User.objects.create(
            username=username, password=password, first_name=first, last_name=last,
            email=f"{username}@example.org", role=roles[role], agency=agency, relay_cell=cell,
            phone=phone, **extra,
        )

    agencies, workers, managers, providers = {}, {}, {}, {}
    for spec in AGENCIES:
        contact = _adult(rng, spec.country)
        agency, created = Agency.objects.get_or_create(code=spec.code, defaults={
            "name": spec.name, "acronym": spec.acronym, "country": places[spec.country],
            "contact_name": " ".join(contact), "phone": _phone(rng, spec.country),
            "email": f"contact@{spec.code.lower()}.example.org", "address": spec.town,
            "services_offered": list(spec.services),
        })
        if created:
            agency.regions.set([places[c] for c in spec.regions])
        agencies[spec.code] = agency

    user("BF", "Admin", "Yiri", "administrator", username="admin", is_staff=True,
         is_superuser=True)
    user("BF", *_adult(rng, "BF"), "national_coordinator")
    user("TG", *_adult(rng, "TG"), "partner_viewer")

    for spec in CELLS:
        contact = _adult(rng, spec.country)
        cell, created = RelayCell.objects.get_or_create(code=spec.code, defaults={
            "name": spec.name, "contact_name": " ".join(contact),
            "phone": _phone(rng, spec.country), "email": f"{spec.code.lower()}@example.org",
        })
        if created:
            cell.regions.set([places[c] for c in spec.regions])
            cell.members.set([agencies[c] for c in spec.members])
        for _ in range(2 if spec.country == "BF" else 1):
            user(spec.country, *_adult(rng, spec.country), "relay_data_manager", cell=cell)


    for spec in AGENCIES:
        agency = agencies[spec.code]
        n_teams = math.ceil(n_workers / WORKERS_PER_TEAM)
        managers[spec.code], workers[spec.code] = [], []
        for t in range(n_teams):
            team, _ = UserGroup.objects.get_or_create(
                name=f"Équipe {spec.acronym} {t + 1}", agency=agency)
            manager = user(spec.country, *_adult(rng, spec.country), "manager", agency=agency)
            manager.user_groups.add(team)
            managers[spec.code].append(manager)
            for _ in range(min(WORKERS_PER_TEAM, n_workers - t * WORKERS_PER_TEAM)):
                worker = user(spec.country, *_adult(rng, spec.country), "case_worker",
                              agency=agency)
                worker.user_groups.add(team)
                workers[spec.code].append(worker)
        providers[spec.code] = user(spec.country, *_adult(rng, spec.country), "service_provider",
                                    agency=agency)
    return DemoNetwork(agencies, workers, managers, providers, logins)

