"""The network: places, member organisations, regional relay cells and nodes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiri.sync.models import SyncedModel, SyncedQuerySet

__all__ = ["SyncedModel"]


class LocationLevel(models.TextChoices):
    COUNTRY = "country", _("Pays")
    REGION = "region", _("Région")
    PROVINCE = "province", _("Province / préfecture")
    COMMUNE = "commune", _("Commune")
    VILLAGE = "village", _("Village")


LEVEL_ORDER = [choice.value for choice in LocationLevel]


class LocationQuerySet(SyncedQuerySet):
    def within(self, location: Location) -> LocationQuerySet:
        """The location and everything below it."""
        return self.filter(path__startswith=location.path)


class Location(SyncedModel):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    level = models.CharField(_("niveau"), max_length=10, choices=LocationLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("lieu parent"),
    )
    # Materialised path of codes ("BF/BF-03/BF-KAD/"): subtree filters are one indexed
    # prefix comparison instead of a recursive query.
    path = models.CharField(_("chemin"), max_length=400, db_index=True, editable=False)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        indexes = [models.Index(fields=["level", "name"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)

    def ancestors(self) -> list[Location]:
        codes = [c for c in self.path.split("/") if c][:-1]
        by_code = {loc.code: loc for loc in Location.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    @property
    def country_code(self) -> str:
        return self.path.split("/", 1)[0]


class Agency(SyncedModel):
    """A member organisation of the network (NGO, association, public service)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    acronym = models.CharField(_("sigle"), max_length=30, blank=True)
    country = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", limit_choices_to={"level": "country"},
        verbose_name=_("pays"),
    )
    regions = models.ManyToManyField(
        Location, blank=True, related_name="agencies", limit_choices_to={"level": "region"},
        verbose_name=_("régions d'intervention"),
    )
    contact_name = models.CharField(_("personne de contact"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    services_offered = models.JSONField(_("services offerts"), default=list, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation membre")
        verbose_name_plural = _("organisations membres")

    def __str__(self) -> str:
        return self.acronym or self.name


class RelayCell(SyncedModel):
    """A regional relay cell: checks and relays the data of its member organisations."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    regions = models.ManyToManyField(
        Location, related_name="relay_cells", limit_choices_to={"level": "region"},
        verbose_name=_("régions couvertes"),
    )
    members = models.ManyToManyField(
        Agency, blank=True, related_name="relay_cells",
        verbose_name=_("organisations membres"),
    )
    contact_name = models.CharField(_("personne de contact"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("courriel"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cellule régionale de relais")
        verbose_name_plural = _("cellules régionales de relais")

    def __str__(self) -> str:
        return self.name


class NodeKind(models.TextChoices):
    OFFICE = "office", _("Bureau / télécentre")
    RELAY = "relay", _("Cellule de relais")
    NATIONAL = "national", _("Coordination nationale")


class Node(models.Model):
    """An installation of Yiri. Nodes form a tree: offices → relay cells → national."""

    node_id = models.CharField(_("identifiant du nœud"), max_length=64, primary_key=True)
    code = models.CharField(_("code"), max_length=12, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=NodeKind.choices)
    name = models.CharField(_("nom"), max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("nœud parent"),
    )
    relay_cell = models.ForeignKey(
        RelayCell, null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("cellule de relais"),
    )
    agencies = models.ManyToManyField(
        Agency, blank=True, related_name="nodes",
        verbose_name=_("organisations"),
    )
    base_url = models.URLField(_("adresse du serveur"), blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("nœud")
        verbose_name_plural = _("nœuds")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_local(self) -> bool:
        return self.node_id == settings.YIRI_NODE_ID


class SeededDataSet(models.Model):
    """A reference data set (locations, default forms, roles) already seeded in this database.

    ``load_reference_data`` runs at every start; a data set with a row here is never
    seeded again, so what an administrator edited stays. Later changes of the shipped data
    come as data migrations (``network/reference.py``), which raise ``version``.
    """

    name = models.CharField(_("jeu de données"), max_length=40, primary_key=True)
    version = models.PositiveIntegerField(_("version"))
    seeded_at = models.DateTimeField(_("chargé le"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("jeu de données de référence")
        verbose_name_plural = _("jeux de données de référence")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Sequence(models.Model):
    """Per-node counters (change-log counter, human-readable record numbers)."""

    name = models.CharField(_("nom"), max_length=40, primary_key=True)
    value = models.BigIntegerField(_("valeur"), default=0)

    class Meta:
        verbose_name = _("compteur")
        verbose_name_plural = _("compteurs")
