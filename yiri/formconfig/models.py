"""Forms as data: lookups, form sections and fields, with French and English labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yiri.accounts.models import RecordType
from yiri.network.models import SyncedModel

# The forms of the record types, and the questionnaire of the network inventories
# (``directory``: answers kept in ``directory.InventoryResponse``, not in a record).
INVENTORY_FORM = "inventory"
FORM_TYPES = [*RecordType.choices, (INVENTORY_FORM, _("Inventaire du réseau"))]


def _pick(fr: str, en: str) -> str:
    return (en or fr) if (get_language() or "fr").startswith("en") else (fr or en)


class Lookup(SyncedModel):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=200)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("liste de valeurs")
        verbose_name_plural = _("listes de valeurs")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _pick(self.name_fr, self.name_en)


class LookupValue(SyncedModel):
    lookup = models.ForeignKey(
        Lookup, on_delete=models.CASCADE, related_name="values",
        verbose_name=_("liste de valeurs"),
    )
    code = models.SlugField(_("code"), max_length=60)
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    disabled = models.BooleanField(_("désactivée"), default=False)

    class Meta:
        ordering = ["lookup", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["lookup", "code"], name="lookup_value_code_unique")]
        verbose_name = _("valeur")
        verbose_name_plural = _("valeurs")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _pick(self.label_fr, self.label_en)


class FormSection(SyncedModel):
    record_type = models.CharField(_("type de fiche"), max_length=20, choices=FORM_TYPES)
    code = models.SlugField(_("code"), max_length=60)
    name_fr = models.CharField(_("nom (français)"), max_length=200)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    is_subform = models.BooleanField(
        _("sous-formulaire"), default=False,
        help_text=_("Section décrivant une ligne d'un sous-formulaire répétable."),
    )
    visible = models.BooleanField(_("visible"), default=True)

    class Meta:
        ordering = ["record_type", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "code"], name="section_code_unique")
        ]
        verbose_name = _("section de formulaire")
        verbose_name_plural = _("sections de formulaire")

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} · {self.name}"

    @property
    def name(self) -> str:
        return _pick(self.name_fr, self.name_en)


class FieldType(models.TextChoices):
    TEXT = "text", _("Texte")
    TEXTAREA = "textarea", _("Texte long")
    NUMBER = "number", _("Nombre")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Oui/non")
    SELECT = "select", _("Choix dans une liste")
    MULTISELECT = "multiselect", _("Choix multiples dans une liste")
    LOCATION = "location", _("Lieu")
    SUBFORM = "subform", _("Sous-formulaire (lignes répétables)")
    ATTACHMENT = "attachment", _("Référence de pièce jointe")


class Field(SyncedModel):
    section = models.ForeignKey(
        FormSection, on_delete=models.CASCADE, related_name="fields",
        verbose_name=_("section"),
    )
    code = models.SlugField(_("code"), max_length=60)
    type = models.CharField(_("type"), max_length=12, choices=FieldType.choices)
    label_fr = models.CharField(_("libellé (français)"), max_length=200)
    label_en = models.CharField(_("libellé (anglais)"), max_length=200, blank=True)
    help_fr = models.CharField(_("aide (français)"), max_length=400, blank=True)
    help_en = models.CharField(_("aide (anglais)"), max_length=400, blank=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)
    required = models.BooleanField(_("obligatoire"), default=False)
    identifying = models.BooleanField(
        _("identifiant"), default=False,
        help_text=_("Donnée identifiante (nom, téléphone, adresse, récit) : protégée à part."),
    )
    matchable = models.BooleanField(
        _("sert au rapprochement"), default=False,
        help_text=_("Utilisé pour repérer les doublons et rapprocher les fiches."),
    )
    lookup = models.ForeignKey(
        Lookup, null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("liste de valeurs"),
    )
    subform = models.ForeignKey(
        FormSection, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"is_subform": True},
        verbose_name=_("sous-formulaire"),
    )
    min_value = models.FloatField(_("valeur minimale"), null=True, blank=True)
    max_value = models.FloatField(_("valeur maximale"), null=True, blank=True)
    no_future = models.BooleanField(
        _("pas de date future"), default=False, help_text=_("Date qui ne peut pas être dans le futur."),
    )
    # Numbers mean counts and ages unless said otherwise: "12,5 ans" is refused.
    decimals = models.BooleanField(
        _("accepte les décimales"), default=False,
        help_text=_("Nombre qui peut avoir une partie décimale (sinon : nombre entier)."))
    max_length = models.PositiveIntegerField(_("longueur maximale"), null=True, blank=True)
    visible_if = models.JSONField(
        _("visible si"), null=True, blank=True,
        help_text=_('Affiché seulement si {"field": "code", "equals": valeur}.'),
    )

    class Meta:
        ordering = ["section", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["section", "code"], name="field_code_unique")]
        verbose_name = _("champ")
        verbose_name_plural = _("champs")

    def __str__(self) -> str:
        return f"{self.code} ({self.label})"

    @property
    def label(self) -> str:
        return _pick(self.label_fr, self.label_en)

    @property
    def help(self) -> str:
        return _pick(self.help_fr, self.help_en)
