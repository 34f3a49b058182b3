"""The network itself: the directory of member organisations and telecentres, the people
who run them, trainings and their follow-up, and the inventory surveys of relay cells.

Every table here is synchronised like case data (``sync.models.SyncedModel``): a change is
one operation of the change log (``sync.log``) and travels to every node. None of it
belongs to a record, so it goes everywhere, like the organisations and relay cells it
extends (``network.models``). Nothing is ever deleted: ``sync.log.tombstone``.

A member organisation's entry links its ``network.Agency`` (name, contacts and regions
stay there); a telecentre is an entry of its own. Places are ``network.Location`` rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.network.models import Agency, Location, RelayCell
from yiri.sync.models import SyncedModel


class SiteKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation membre")
    TELECENTRE = "telecentre", _("Télécentre communautaire")


class Service(models.TextChoices):
    INTERNET = "internet", _("Accès à Internet")
    TRAINING = "training", _("Formation")
    PRINTING = "printing", _("Impression et photocopie")
    SECRETARIAL = "secretarial", _("Secrétariat")
    E_SERVICES = "e_services", _("Services en ligne (e-services)")
    CHILD_PROTECTION = "child_protection", _("Protection de l'enfant")
    LISTENING = "listening", _("Écoute et accueil")


class Connectivity(models.TextChoices):
    NONE = "none", _("Aucune")
    INTERMITTENT = "intermittent", _("Intermittente")
    DAILY = "daily", _("Quotidienne")


class Site(SyncedModel):
    """An entry of the directory: a member organisation or a telecentre."""

    SYNC_ENTITY = "dir_site"

    kind = models.CharField(_("type"), max_length=12, choices=SiteKind.choices)
    name = models.CharField(_("nom"), max_length=200)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="directory_entries",
        verbose_name=_("organisation membre"))
    place = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("lieu (commune, province ou région)"))
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    contact_name = models.CharField(_("personne de contact"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    services = models.JSONField(_("services offerts"), default=list, blank=True)
    equipment = models.TextField(_("équipement"), blank=True)
    computers = models.PositiveIntegerField(_("ordinateurs"), null=True, blank=True)
    connectivity = models.CharField(_("connexion à Internet"), max_length=12,
                                    choices=Connectivity.choices, default=Connectivity.NONE)
    opening_hours = models.CharField(_("heures d'ouverture"), max_length=200, blank=True)
    relay_cell = models.ForeignKey(
        RelayCell, null=True, blank=True, on_delete=models.PROTECT, related_name="directory_sites",
        verbose_name=_("cellule de relais"))
    local_content = models.TextField(
        _("contenus et applications locaux"), blank=True,
        help_text=_("Contenus et applications que la structure détient ou produit."))
    description = models.TextField(_("présentation"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("structure de l'annuaire")
        verbose_name_plural = _("structures de l'annuaire")
        indexes = [models.Index(fields=["kind", "name"], name="dir_site_kind_name")]

    def __str__(self) -> str:
        return self.name

    def services_labels(self) -> list[str]:
        labels = dict(Service.choices)
        return [str(labels.get(code, code)) for code in self.services or []]

    def places(self) -> dict[str, Location | None]:
        """The region, province and commune the entry's place lies in (or is)."""
        found: dict[str, Location | None] = {"region": None, "province": None, "commune": None}
        if self.place_id:
            for loc in [*self.place.ancestors(), self.place]:
                if loc.level in found:
                    found[loc.level] = loc
        return found

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PersonRole(models.TextChoices):
    MANAGER = "manager", _("Gestionnaire / responsable")
    ANIMATOR = "animator", _("Animateur·rice")
    FOCAL_POINT = "focal_point", _("Point focal")
    TECHNICIAN = "technician", _("Technicien·ne")


class Person(SyncedModel):
    """The profile of someone who runs a member or a telecentre. Listed in the directory
    only with their consent (``consent``), and only to members of the network."""

    SYNC_ENTITY = "dir_person"
    # What a person typed about themselves: sealed in the change log.
    SYNC_SEALED = frozenset({"phone", "email"})

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="people",
                             verbose_name=_("structure"))
    full_name = models.CharField(_("nom complet"), max_length=160)
    role = models.CharField(_("fonction"), max_length=12, choices=PersonRole.choices)
    skills = models.TextField(_("compétences"), blank=True)
    interests = models.TextField(_("centres d'intérêt"), blank=True)
    languages = models.CharField(_("langues parlées"), max_length=200, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    consent = models.BooleanField(
        _("accepte de figurer dans l'annuaire"), default=False,
        help_text=_("Sans ce consentement, le profil n'apparaît nulle part dans l'annuaire."))
    consent_date = models.DateField(_("date du consentement"), null=True, blank=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("profil")
        verbose_name_plural = _("profils")

    def __str__(self) -> str:
        return self.full_name


class Theme(models.TextChoices):
    DATA_SECURITY = "data_security", _("Sécurité informatique et des données")
    WEBSITE = "website", _("Gestion et animation de site web et réseaux sociaux")
    DATA_TRANSMISSION = "data_transmission", _("Transmission des données")
    CASE_SOFTWARE = "case_software", _("Logiciel de gestion des cas (Yiri)")
    ACCOUNTING = "accounting", _("Logiciel de gestion comptable")
    MAINTENANCE = "maintenance", _("Maintenance informatique")
    SUSTAINABILITY = "sustainability", _("Durabilité et entrepreneuriat social")


class Training(SyncedModel):
    """A training session or workshop."""

    SYNC_ENTITY = "dir_training"

    title = models.CharField(_("intitulé"), max_length=200)
    themes = models.JSONField(_("thèmes"), default=list, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    place = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("lieu"))
    venue = models.CharField(_("salle ou structure d'accueil"), max_length=200, blank=True)
    funder = models.CharField(_("bailleur"), max_length=200, blank=True)
    facilitators = models.CharField(_("formateurs·rices"), max_length=300, blank=True)
    relay_cell = models.ForeignKey(RelayCell, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("cellule organisatrice"))

    class Meta:
        ordering = ["-start_date", "title"]
        verbose_name = _("formation")
        verbose_name_plural = _("formations")

    def __str__(self) -> str:
        return self.title

    def themes_labels(self) -> list[str]:
        labels = dict(Theme.choices)
        return [str(labels.get(code, code)) for code in self.themes or []]


class Participant(SyncedModel):
    """Someone who took part in a training: a profile of the directory, or a name typed
    for a structure of the directory (a person without a profile)."""

    SYNC_ENTITY = "dir_participant"
    SYNC_SEALED = frozenset({"name"})

    training = models.ForeignKey(Training, on_delete=models.PROTECT, related_name="participants",
                                 verbose_name=_("formation"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="participations", verbose_name=_("profil"))
    name = models.CharField(_("nom"), max_length=160, blank=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants",
                             verbose_name=_("structure"))
    attended = models.BooleanField(_("présent·e"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("participant·e")
        verbose_name_plural = _("participant·e·s")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.person.full_name if self.person_id else self.name


class CommitmentStatus(models.TextChoices):
    PLANNED = "planned", _("Prévu")
    IN_PROGRESS = "in_progress", _("En cours")
    DONE = "done", _("Réalisé")
    DROPPED = "dropped", _("Abandonné")


class Commitment(SyncedModel):
    """A participant's follow-up undertaking after a training."""

    SYNC_ENTITY = "dir_commitment"

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="commitments", verbose_name=_("participant·e"))
    undertaking = models.TextField(_("engagement"))
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=CommitmentStatus.choices,
                              default=CommitmentStatus.PLANNED)

    class Meta:
        ordering = ["due_date"]
        verbose_name = _("engagement de suivi")
        verbose_name_plural = _("engagements de suivi")

    def __str__(self) -> str:
        return self.undertaking[:60]


class InventoryRound(SyncedModel):
    """One round of a relay cell's periodic inventory of its telecentres and members."""

    SYNC_ENTITY = "dir_inv_round"

    relay_cell = models.ForeignKey(RelayCell, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("cellule de relais"))
    title = models.CharField(_("intitulé"), max_length=200)
    opened_on = models.DateField(_("ouvert le"))

    class Meta:
        ordering = ["-opened_on", "title"]
        verbose_name = _("tour d'inventaire")
        verbose_name_plural = _("tours d'inventaire")

    def __str__(self) -> str:
        return self.title


class InventoryResponse(SyncedModel):
    """A structure's answers to a round's questionnaire (the form of record type
    ``inventory``, built with the form engine)."""

    SYNC_ENTITY = "dir_inv_response"

    round = models.ForeignKey(InventoryRound, on_delete=models.PROTECT, related_name="responses",
                              verbose_name=_("tour d'inventaire"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="inventory_responses",
                             verbose_name=_("structure"))
    answers = models.JSONField(_("réponses"), default=dict, blank=True)
    filled_on = models.DateField(_("rempli le"))
    form_version = models.CharField(_("version du formulaire"), max_length=20, blank=True)

    class Meta:
        ordering = ["-filled_on"]
        verbose_name = _("réponse d'inventaire")
        verbose_name_plural = _("réponses d'inventaire")

    def __str__(self) -> str:
        return f"{self.round} · {self.site}"
