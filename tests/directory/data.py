"""A small directory on top of the test cast (tests/conftest.py): a telecentre of the
Centre relay cell in Ouagadougou, the cast's member organisation ACE, people with and
without consent."""

from __future__ import annotations

from yiri.directory import services
from yiri.directory.models import Connectivity, Person, PersonRole, Site, SiteKind
from yiri.network.models import Location


class Directory:
    def __init__(self, cast) -> None:
        self.cast = cast
        ouaga = Location.objects.get(code="BF-KAD")
        self.telecentre = services.save_site(cast.coordinator, Site(
            kind=SiteKind.TELECENTRE, name="Télécentre communautaire de Tanghin", place=ouaga,
            latitude=12.40, longitude=-1.50, relay_cell=cast.cell,
            services=["internet", "printing", "training"], connectivity=Connectivity.DAILY,
            computers=8, opening_hours="Lun–sam 8 h–19 h", local_content="Annuaire des artisans"))
        self.member = services.save_site(cast.coordinator, Site(
            kind=SiteKind.ORGANISATION, name="Action Enfance", agency=cast.ace, place=ouaga,
            latitude=12.37, longitude=-1.53, relay_cell=cast.cell,
            services=["child_protection"], connectivity=Connectivity.INTERMITTENT))
        self.listed = services.save_person(cast.coordinator, Person(
            site=self.telecentre, full_name="Mariam Kaboré", role=PersonRole.MANAGER,
            skills="Maintenance informatique", languages="français, mooré", consent=True))
        self.withheld = services.save_person(cast.coordinator, Person(
            site=self.telecentre, full_name="Boukary Nikiéma", role=PersonRole.ANIMATOR,
            skills="Animation de sites web", consent=False))
