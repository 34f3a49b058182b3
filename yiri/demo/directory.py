"""The demo directory: telecentres and member organisations of the demo network, their
people (most consented to appear, one did not), a training with its follow-up, and two
inventory rounds of a relay cell (``yiri/directory``).

Everything is invented (names, phone numbers, ``@example.org`` addresses); positions are
those of the towns named. Creating it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yiri.directory.models import (
    Commitment,
    InventoryResponse,
    InventoryRound,
    Participant,
    Person,
    Site,
    SiteKind,
    Training,
)
from yiri.formconfig.models import INVENTORY_FORM
from yiri.formconfig.schema import get_schema
from yiri.network.models import Agency, Location, RelayCell
from yiri.sync.log import save_logged

# name, place code, (lat, lon), relay cell, services, connectivity, computers, hours, local content
TELECENTRES = (
    ("Télécentre communautaire de Saaba", "BF-KAD-C04", (12.375, -1.413), "CRR-BF-CPS",
     ["internet", "printing", "secretarial", "training"], "daily", 10, "Lun–sam 8 h–20 h",
     "Répertoire des groupements de femmes de Saaba ; tutoriels en mooré"),
    ("Télécentre Wend-Panga de Ziniaré", "BF-OUB-C01", (12.582, -1.298), "CRR-BF-CPS",
     ["internet", "printing", "e_services"], "intermittent", 6, "Lun–ven 8 h–18 h",
     "Bulletin des prix agricoles du Plateau-Central"),
    ("Centre multimédia communautaire de Manga", "BF-ZOU-C01", (11.663, -1.073), "CRR-BF-CPS",
     ["training", "printing", "secretarial"], "none", 4, "Lun–sam 9 h–17 h",
     "Émissions radio enregistrées sur la scolarisation des filles"),
    ("Télécentre communautaire de Kombissiri", "BF-BAZ-C01", (12.065, -1.337), "CRR-BF-CPS",
     ["internet", "e_services", "training"], "daily", 7, "Lun–sam 8 h–19 h", ""),
    ("Espace numérique de Kara", "TG-K-KOZ-C01", (9.551, 1.186), "CRR-TG-KS",
     ["internet", "training", "printing", "e_services"], "daily", 12, "Lun–sam 8 h–20 h",
     "Application de signalement des enfants en mobilité (prototype)"),
    ("Télécentre communautaire de Dapaong", "TG-S-TON-C01", (10.862, 0.207), "CRR-TG-KS",
     ["internet", "secretarial", "printing"], "intermittent", 5, "Lun–ven 8 h–17 h 30",
     "Annuaire des services sociaux des Savanes"),
)
# agency code, place code, (lat, lon)
MEMBERS = (
    ("ABE", "BF-KAD-C01", (12.371, -1.520)),
    ("CEAE", "BF-ZOU-C01", (11.670, -1.065)),
    ("ASKE", "TG-S-TON-C01", (10.870, 0.200)),
    ("FEES", "TG-C-TCH-C01", (8.983, 1.133)),
    ("APEH", "BF-HOU-C01", (11.178, -4.297)),
)
# telecentre index, name, role, skills, interests, languages, consent
PEOPLE = (
    (0, "Rasmata Zongo", "manager", "Maintenance informatique, gestion de cybercafé (Cybera)",
     "Entrepreneuriat social", "français, mooré", True),
    (0, "Issaka Tapsoba", "animator", "Animation de site web, réseaux sociaux", "Vidéo", "français, mooré, dioula", True),
    (1, "Aminata Compaoré", "manager", "Bureautique, formation des adultes", "Agriculture", "français, mooré", True),
    (2, "Dieudonné Bationo", "animator", "Radio, montage audio", "Éducation des filles", "français, bissa", False),
    (3, "Pauline Kiemtoré", "focal_point", "Transmission des données, tableurs", "Protection de l'enfant", "français, mooré", True),
    (4, "Komlan Agbéko", "manager", "Réseaux, sécurité informatique", "Logiciels libres", "français, kabiyè, éwé", True),
    (5, "Mariama Lardja", "animator", "Secrétariat, e-services", "Droits des enfants", "français, moba", True),
)


def _site(spec_place: str) -> Location | None:
    return Location.objects.filter(code=spec_place).first()


@transaction.atomic
def create_directory(today: dt.date) -> dict[str, int]:
    """Create (or find) the demo directory. Returns counts of what exists."""
    cells = {c.code: c for c in RelayCell.objects.all()}
    sites: list[Site] = []
    for name, place, (lat, lon), cell, services, connectivity, computers, hours, content in TELECENTRES:
        site = Site.objects.filter(name=name).first()
        if site is None:
            site = Site(kind=SiteKind.TELECENTRE, name=name, place=_site(place), latitude=lat,
                        longitude=lon, relay_cell=cells.get(cell), services=services,
                        connectivity=connectivity, computers=computers, opening_hours=hours,
                        local_content=content, equipment=f"{computers} ordinateurs, 1 imprimante",
                        phone="+226 70 00 00 00" if place.startswith("BF") else "+228 90 00 00 00",
                        email=f"telecentre{len(sites) + 1}@example.org")
            save_logged(None, site, created=True)
        sites.append(site)
    for code, place, (lat, lon) in MEMBERS:
        agency = Agency.objects.filter(code=code).first()
        if agency is None or Site.objects.filter(agency=agency).exists():
            continue
        cell = agency.relay_cells.first()
        save_logged(None, Site(kind=SiteKind.ORGANISATION, name=agency.name, agency=agency,
                               place=_site(place), latitude=lat, longitude=lon, relay_cell=cell,
                               services=["child_protection", "listening"],
                               connectivity="daily", contact_name=agency.contact_name,
                               phone=agency.phone, email=agency.email, address=agency.address),
                    created=True)
    people = []
    for index, name, role, skills, interests, languages, consent in PEOPLE:
        person = Person.objects.filter(full_name=name).first()
        if person is None:
            person = Person(site=sites[index], full_name=name, role=role, skills=skills,
                            interests=interests, languages=languages, consent=consent,
                            consent_date=today if consent else None)
            save_logged(None, person, created=True)
        people.append(person)
    title = "Atelier : sécurité informatique et transmission des données"
    if not Training.objects.filter(title=title).exists():
        training = Training(title=title, themes=["data_security", "data_transmission", "website"],
                            start_date=today - dt.timedelta(days=60),
                            end_date=today - dt.timedelta(days=58),
                            place=Location.objects.filter(code="BF-KAD-C01").first(),
                            venue="Salle de conférence de l'ABE", funder="Fonds d'appui fictif",
                            facilitators="Cellule informatique de la coordination",
                            relay_cell=cells.get("CRR-BF-CPS"))
        save_logged(None, training, created=True)
        for person in people[:5]:
            part = Participant(training=training, person=person, site=person.site,
                               attended=person.full_name != "Aminata Compaoré")
            save_logged(None, part, created=True)
            save_logged(None, Commitment(
                participant=part, due_date=today + dt.timedelta(days=30),
                undertaking="Identifier une structure locale et lui proposer un partenariat "
                            "sur l'usage des TIC"), created=True)
    cell = cells.get("CRR-BF-CPS")
    if cell and not InventoryRound.objects.filter(relay_cell=cell).exists():
        version = get_schema(INVENTORY_FORM).version
        for i, (label, opened) in enumerate((("Inventaire 1er semestre", today - dt.timedelta(days=180)),
                                             ("Inventaire 2e semestre", today - dt.timedelta(days=10)))):
            inv = InventoryRound(relay_cell=cell, title=label, opened_on=opened)
            save_logged(None, inv, created=True)
            for site in sites[:4]:
                answers = {"computers_working": (site.computers or 0) - (1 - i) * 2,
                           "connectivity": "intermittent" if i == 0 else site.connectivity,
                           "services": site.services, "staff": 2 + i}
                save_logged(None, InventoryResponse(round=inv, site=site, answers=answers,
                                                    filled_on=opened, form_version=version),
                            created=True)
    return {"sites": Site.objects.count(), "people": Person.objects.count(),
            "trainings": Training.objects.count()}
