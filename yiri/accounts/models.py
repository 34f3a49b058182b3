"""Users, roles (a readable permission table) and user groups."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yiri.network.models import SyncedModel
from yiri.sync.models import Synced, SyncedQuerySet


class RecordType(models.TextChoices):
    CASE = "case", _("Dossier")
    INCIDENT = "incident", _("Incident")
    TRACING_REQUEST = "tracing_request", _("Demande de recherche")


class Action(models.TextChoices):
    VIEW = "view", _("Consulter")
    CREATE = "create", _("Créer")
    EDIT = "edit", _("Modifier")
    DELETE = "delete", _("Supprimer")
    ASSIGN = "assign", _("Attribuer")
    REFER = "refer", _("Référer")
    TRANSFER = "transfer", _("Transférer")
    CONSENT_OVERRIDE = "consent_override", _("Passer outre le consentement")
    REQUEST_ASSESSMENT = "request_assessment", _("Demander l'approbation de l'évaluation")
    APPROVE_ASSESSMENT = "approve_assessment", _("Approuver l'évaluation")
    REQUEST_CASE_PLAN = "request_case_plan", _("Demander l'approbation du plan")
    APPROVE_CASE_PLAN = "approve_case_plan", _("Approuver le plan de prise en charge")
    REQUEST_CLOSURE = "request_closure", _("Demander la clôture")
    APPROVE_CLOSURE = "approve_closure", _("Approuver la clôture")
    CLOSE = "close", _("Clôturer")
    REOPEN = "reopen", _("Rouvrir")
    EXPORT = "export", _("Exporter")
    IMPORT = "import", _("Importer")


class SystemAction(models.TextChoices):
    MANAGE_USERS = "manage_users", _("Gérer les utilisateurs")
    MANAGE_ROLES = "manage_roles", _("Gérer les rôles")
    MANAGE_FORMS = "manage_forms", _("Gérer les formulaires")
    MANAGE_NETWORK = "manage_network", _("Gérer le réseau (lieux, organisations, nœuds)")
    VIEW_REPORTS = "view_reports", _("Voir les tableaux de bord")
    VIEW_AUDIT = "view_audit", _("Voir le journal d'audit")
    RESOLVE_CONFLICTS = "resolve_conflicts", _("Résoudre les conflits de synchronisation")
    VIEW_SYNC = "view_sync", _("Voir l'état de la synchronisation et la lancer")
    MANAGE_NODES = "manage_nodes", _("Enrôler et révoquer les nœuds enfants")
    ERASE_RECORDS = "erase_records", _("Demander et approuver l'effacement de dossiers")
    FIND_DUPLICATES = "find_duplicates", _("Rechercher les doublons parmi tous les dossiers de sa portée")


class Scope(models.TextChoices):
    OWN = "own", _("Ses dossiers et ceux qui lui sont attribués")
    GROUP = "group", _("Groupe d'utilisateurs")
    AGENCY = "agency", _("Organisation")
    CELL = "cell", _("Cellule de relais (régions couvertes)")
    ALL = "all", _("Tous")
    NONE = "none", _("Aucun dossier (indicateurs agrégés seulement)")


class FormRight(models.TextChoices):
    NONE = "none", _("Aucun accès")
    READ = "r", _("Lecture")
    WRITE = "rw", _("Lecture et écriture")


class Role(SyncedModel):
    """A role: record scope + actions per record type + rights per form section.

    ``permissions`` is ``{"case": ["view", "edit", ...], "system": ["view_reports"]}``.
    ``form_rights`` is ``{"case": {"*": "r", "services_section": "rw"}}``: the ``*`` entry is
    the right on sections not named; a record type absent from it means no section at all.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=120)
    name_en = models.CharField(_("nom (anglais)"), max_length=120)
    scope = models.CharField(_("portée"), max_length=10, choices=Scope.choices, default=Scope.OWN)
    permissions = models.JSONField(_("actions permises"), default=dict, blank=True)
    form_rights = models.JSONField(_("droits par section de formulaire"), default=dict, blank=True)
    # ``{"case": {"national_id_no": "none", "family_details.relation_phone": "r"}}``: single
    # fields (a subform's row field as ``subform.field``) the role reads less of than their
    # section grants: "none" hides the field, "r" makes it read-only. Never more.
    field_rights = models.JSONField(_("droits restreints par champ"), default=dict, blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fr").startswith("en") else self.name_fr

    def clean(self) -> None:
        # Any form or serializer of a role goes through here: an unknown action or section
        # would otherwise take rights away silently. Imported here: rights imports models.
        from .rights import clean_field_rights, clean_form_rights, clean_permissions

        errors = []
        for attr, check in (("permissions", clean_permissions), ("form_rights", clean_form_rights),
                            ("field_rights", clean_field_rights)):
            try:
                setattr(self, attr, check(getattr(self, attr)))
            except ValidationError as exc:
                errors += exc.messages
        if errors:
            raise ValidationError(errors)

    def allows(self, action: str, record_type: str = "case") -> bool:
        return action in self.permissions.get(record_type, [])

    def section_right(self, record_type: str, section_code: str) -> str:
        rights = self.form_rights.get(record_type)
        if not rights:
            return FormRight.NONE
        return rights.get(section_code, rights.get("*", FormRight.NONE))

    def field_limits(self, record_type: str) -> tuple[frozenset[str], frozenset[str]]:
        """``(hidden, read_only)``: the field codes of ``record_type`` this role may not
        read, and those it may read but not write, whatever their section allows."""
        limits = (self.field_rights or {}).get(record_type) or {}
        return (frozenset(c for c, r in limits.items() if r == FormRight.NONE),
                frozenset(c for c, r in limits.items() if r == FormRight.READ))


class UserGroup(SyncedModel):
    """A team (e.g. the case workers a supervisor manages); scope "group" uses it."""

    name = models.CharField(_("nom"), max_length=120)
    agency = models.ForeignKey(
        "network.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("organisation"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("groupe d'utilisateurs")
        verbose_name_plural = _("groupes d'utilisateurs")

    def __str__(self) -> str:
        return self.name


class YiriUserManager(UserManager.from_queryset(SyncedQuerySet)):
    """Users change one by one (``save``), so the change log carries them; only the fields
    that stay on this node (sign-ins, lock) may be updated in bulk."""


class User(Synced, AbstractUser):
    """A person who signs in. Synchronised like configuration (``sync.log``), except what
    stays on the node where it happens: sign-ins, failed attempts, the lock."""

    SYNC_ENTITY = "user"
    # Sealed in the log like identifying answers; sent only to nodes holding the user's
    # organisation (``sync.scope.USER_PRIVATE``).
    SYNC_SEALED = frozenset({"password", "email", "phone"})
    SYNC_LOCAL = frozenset({"last_login", "failed_logins", "locked_until", "groups",
                            "user_permissions"})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        "network.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("organisation"),
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT,
        verbose_name=_("rôle"),
    )
    user_groups = models.ManyToManyField(
        UserGroup, blank=True, related_name="members",
        verbose_name=_("groupes d'utilisateurs"),
    )
    relay_cell = models.ForeignKey(
        "network.RelayCell", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("cellule de relais"),
    )
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    language = models.CharField(
        _("langue"), max_length=5, default="fr", choices=[("fr", "Français"), ("en", "English")]
    )
    failed_logins = models.PositiveSmallIntegerField(_("échecs de connexion"), default=0)
    locked_until = models.DateTimeField(_("verrouillé jusqu'à"), null=True, blank=True)

    objects = YiriUserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def can(self, action: str, record_type: str = "case") -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return bool(self.role and self.role.allows(action, record_type))

    @property
    def scope(self) -> str:
        if self.is_superuser:
            return Scope.ALL
        return self.role.scope if self.role else Scope.NONE

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())


class LoginThrottle(models.Model):
    """Sign-in attempts counted per client address and per trusted device
    (``accounts/throttle.py``); stays on this node, never synchronised.

    ``key`` is ``address:<ip>`` or ``device:<random id>``; ``failures`` counts the wrong
    passwords examined since the last success; ``blocked_until`` is the end of the current
    wait (none while under the limit)."""

    key = models.CharField(_("clé"), max_length=200, unique=True)
    failures = models.PositiveIntegerField(_("échecs"), default=0)
    blocked_until = models.DateTimeField(_("bloqué jusqu'à"), null=True, blank=True)
    last_failure = models.DateTimeField(_("dernier échec"), null=True, blank=True)

    class Meta:
        verbose_name = _("limite de connexion")
        verbose_name_plural = _("limites de connexion")

    def __str__(self) -> str:
        return self.key


class ApiToken(models.Model):
    """An API token (``accounts/tokens.py``): only the SHA-256 of the key is kept, so a
    copy of the database opens no account. One per sign-in; it ends at ``expires`` or
    when its holder signs out. Stays on this node."""

    digest = models.CharField(_("empreinte"), max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("utilisateur"))
    created = models.DateTimeField(_("créé le"), default=timezone.now)
    expires = models.DateTimeField(_("expire le"), db_index=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created:%Y-%m-%d %H:%M}"


class RecoveryCode(models.Model):
    """A single-use recovery code of the second factor (``accounts/two_factor.py``): only
    its SHA-256 is kept; ``used_at`` is set when it is spent. Stays on this node."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes",
                             verbose_name=_("utilisateur"))
    digest = models.CharField(_("empreinte"), max_length=64)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("code de secours")
        verbose_name_plural = _("codes de secours")

    def __str__(self) -> str:
        return str(self.user_id)
