"""What synchronisation owns: the base of every synchronised table, the change log, this
node's clock, its peers and the conflicts it found.

Every write of a synchronised row goes through ``sync.log`` (the ``save`` of
``SyncedModel`` calls it): it computes the fields that changed, stamps them and appends
one ``Operation`` in the same transaction. Records (cases, incidents, tracing requests)
are written by ``cases.services``, which computes the change of the form answers and hands
the operation to the same log. The bulk shortcuts that would skip the log (queryset
``update``, ``delete``, ``bulk_create``) and ``delete()`` are refused; a row is removed by
a tombstone (``sync.log.tombstone``), which synchronises like any change.

``sync.apply`` is the other way in: operations from another node, stored unchanged and
merged per field (``sync.apply``), under ``applying()``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# ----------------------------------------------------------------- the write guards


class RawWriteRefused(RuntimeError):
    """A write that would skip the change log."""


_state = threading.local()


def _flag(name: str) -> bool:
    return getattr(_state, name, 0) > 0


@contextlib.contextmanager
def _raised(name: str):
    setattr(_state, name, getattr(_state, name, 0) + 1)
    try:
        yield
    finally:
        setattr(_state, name, getattr(_state, name, 0) - 1)


def raw_writes():
    """Allow the bulk shortcuts: only to wipe test or bench data, to purge what left this
    node's scope (``sync.apply.purge``) or to re-encrypt a value under a new key of this
    node (``cases.reencrypt``), never for a change other nodes must see."""
    return _raised("raw")


def applying():
    """Writes by ``sync.apply``: a change from another node, already in the log."""
    return _raised("applying")


def record_writes():
    """Writes by ``cases.services``, which logs the change of the answers itself."""
    return _raised("record")


def genesis():
    """Reference data seeded identically on every node (same ids, same values): written
    without an operation, since every node already holds it."""
    return _raised("genesis")


def seeded_id(entity: str, *key: str) -> uuid.UUID:
    """The id of a row of shipped reference data: the same on every node."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "yiri-seed:" + ":".join([entity, *key]))


def raw_allowed() -> bool:
    return _flag("raw") or _flag("applying")


def is_applying() -> bool:
    return _flag("applying")


def is_genesis() -> bool:
    return _flag("genesis")


def is_record_write() -> bool:
    return _flag("record")


class SyncedQuerySet(models.QuerySet):
    """The bulk shortcuts would change rows without an operation: refused."""

    def update(self, **kwargs):
        local = getattr(self.model, "SYNC_LOCAL", frozenset())
        if not raw_allowed() and not (kwargs and set(kwargs) <= local):  # local: never synced
            raise RawWriteRefused(
                f"{self.model.__name__}: change rows one by one (save), so the change log "
                "carries each change to the other nodes.")
        return super().update(**kwargs)

    def delete(self):
        if not raw_allowed():
            raise RawWriteRefused(
                f"{self.model.__name__}: rows are never deleted; use sync.log.tombstone.")
        return super().delete()

    def require_logged_create(self) -> None:
        """Refuse a many-row create outside the write path (``lib.bulk.insert_many`` too)."""
        if not (raw_allowed() or is_record_write() or is_genesis()):
            raise RawWriteRefused(
                f"{self.model.__name__}: create rows one by one (save), so the change log "
                "carries them.")

    def bulk_create(self, objs, *args, **kwargs):
        self.require_logged_create()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        if not raw_allowed():
            raise RawWriteRefused(f"{self.model.__name__}: bulk_update skips the change log.")
        return super().bulk_update(objs, *args, **kwargs)


SyncedManager = models.Manager.from_queryset(SyncedQuerySet)


class Synced(models.Model):
    """Change tracking for a synchronised table (mixed into ``SyncedModel`` and ``User``).

    Class attributes a table may set:

    - ``SYNC_ENTITY``: its name in the change log (default: the model name, lower case);
    - ``SYNC_SEALED``: fields of free text a person typed, sealed in the log like
      identifying answers;
    - ``SYNC_LOCAL``: fields that stay on this node (a login counter), never logged;
    - ``SYNC_CONFIG``: configuration, sent to every node and applied before records.
    """

    SYNC_SEALED: frozenset[str] = frozenset()
    SYNC_LOCAL: frozenset[str] = frozenset()
    SYNC_CONFIG = False

    origin_node = models.CharField(_("nœud d'origine"), max_length=64, default="", editable=False)
    deleted = models.BooleanField(_("supprimé"), default=False)
    # Field -> stamp of the operation that last wrote it (``sync.fieldclock``).
    field_clock = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from . import log

        if not self.origin_node:
            self.origin_node = settings.YIRI_NODE_ID
        if is_applying() or is_record_write():
            return super().save(*args, **kwargs)
        return log.save_logged_row(self, lambda: super(Synced, self).save(*args, **kwargs))

    def delete(self, *args, **kwargs):
        if raw_allowed():
            return super().delete(*args, **kwargs)
        raise RawWriteRefused(
            f"{type(self).__name__}: rows are never deleted; use sync.log.tombstone.")

    @classmethod
    def sync_entity(cls) -> str:
        return getattr(cls, "SYNC_ENTITY", "") or cls._meta.model_name

    def sync_parent(self) -> tuple[str, uuid.UUID] | None:
        """The record this row belongs to (``(record_type, record_id)``), so that scope
        filters every later operation on it, not only its creation."""
        record_type, record_id = getattr(self, "record_type", None), getattr(self, "record_id", None)
        if record_type and record_id:
            return record_type, record_id
        return None


class SyncedModel(Synced):
    """Base of every row that travels between nodes: a UUID key and the node that made it.

    Rows are never hard-deleted by ordinary use; ``deleted`` is a tombstone.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    objects = SyncedManager()

    class Meta:
        abstract = True


# ------------------------------------------------------------------ the change log


class OpKind(models.TextChoices):
    CREATE = "create", _("Création")
    UPDATE = "update", _("Modification")
    DELETE = "delete", _("Suppression")


def operation_id(origin_node: str, counter: int) -> uuid.UUID:
    """An operation's id follows from its origin and number: nothing to carry."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"yiri-op:{origin_node}:{counter}")


class Operation(models.Model):
    """One write to one entity, carrying all the fields it changed.

    ``(origin_node, counter)`` numbers each node's operations 1, 2, 3…; ``hlc`` (a
    ``sync.clock`` stamp) orders them across nodes and stamps every field in ``changes``.
    ``seq`` is this node's order of arrival (own operations and received ones alike): a
    peer's cursor ("I hold everything of yours up to seq N") is one number.

    ``changes`` maps a field path (``"sex"``, ``"services/<row uuid>/implemented"``,
    ``"@owner"`` for record metadata, a column name for other tables) to
    ``[new value, old value, replaced stamp]``: the replaced stamp is the one of the write
    this one overwrote (``None`` for a first write), which tells a merge whether two
    writes were concurrent. Identifying values (names, phone, narratives, free text) are
    sealed in ``sealed_changes`` with the identity codec.

    ``record_type``/``record_id`` name the record the entity belongs to (itself for a
    record; the case of a note, flag, share, referral…), so scope filters every operation.
    ``meta`` holds the rest: the form version, the order of new subform rows, the
    conflicts this write resolves.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    origin_node = models.CharField(max_length=64)
    counter = models.BigIntegerField()
    hlc = models.BigIntegerField(db_index=True)
    seq = models.BigIntegerField(unique=True)
    entity = models.CharField(max_length=30)
    entity_id = models.UUIDField(db_index=True)
    record_type = models.CharField(max_length=20, blank=True, default="")
    record_id = models.UUIDField(null=True, blank=True, db_index=True)
    kind = models.CharField(max_length=10, choices=OpKind.choices)
    author_id = models.UUIDField(null=True, blank=True)
    changes = models.JSONField(default=dict)
    sealed_changes = models.TextField(blank=True, default="")
    meta = models.JSONField(default=dict, blank=True)
    received_from = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["origin_node", "counter"], name="op_origin_counter_unique")
        ]
        indexes = [models.Index(fields=["entity_id", "hlc"], name="op_entity_hlc")]
        verbose_name = _("opération")
        verbose_name_plural = _("journal des modifications")

    def __str__(self) -> str:
        return f"{self.origin_node[:8]}#{self.counter} {self.kind} {self.entity}"


class ClockState(models.Model):
    """This node's clock, shared by every process: the last stamp, operation counter and
    arrival number given. One row, locked by each write (``sync.clock``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    stamp = models.BigIntegerField(default=0)
    counter = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("horloge du nœud")
        verbose_name_plural = _("horloge du nœud")


# ------------------------------------------------------------------------- peers


class PeerRole(models.TextChoices):
    PARENT = "parent", _("Nœud parent")
    CHILD = "child", _("Nœud enfant")


class ContactWay(models.TextChoices):
    """How a peer was last heard of: an HTTP exchange or a bundle file (``sync.bundle``)."""

    HTTP = "http", _("HTTP")
    BUNDLE = "bundle", _("paquet")


class Peer(models.Model):
    """A node this one exchanges with: its parent (where this node sends and fetches) or a
    child (which calls this node). Not synchronised.

    Known by enrolment (``sync/enrol.py``): its two public keys check what it signs and
    are what this node encrypts to. ``organisations`` is a child's scope: the codes of the
    member organisations whose records it may hold, ``places`` the codes of their regions
    (for the parent: what it granted this node).
    """

    node_id = models.CharField(_("identifiant du nœud"), max_length=64, primary_key=True)
    name = models.CharField(_("nom"), max_length=200, blank=True)
    role = models.CharField(_("rôle"), max_length=8, choices=PeerRole.choices)
    kind = models.CharField(_("type"), max_length=10, blank=True, default="")  # office|relay|national
    # A child's code, assigned by this node (its own code and a suffix): the prefix of the
    # child's readable record ids, unique in the network by construction.
    code = models.CharField(_("code"), max_length=12, blank=True)
    url = models.URLField(_("adresse"), blank=True)
    # The peer's public keys (base64url, ``sync/identity.py``): its Ed25519 key checks what it
    # signs, its X25519 key is what this node encrypts to.
    sign_key = models.CharField(_("clé de signature"), max_length=64, blank=True, default="")
    box_key = models.CharField(_("clé de chiffrement"), max_length=64, blank=True, default="")
    organisations = models.JSONField(_("organisations"), default=list, blank=True)
    places = models.JSONField(_("lieux"), default=list, blank=True)
    enrolled_at = models.DateTimeField(_("enrôlé le"), null=True, blank=True)
    # What travelled: the highest seq of this node's log the peer acknowledged, and the
    # highest seq of the peer's log this node holds.
    sent_upto = models.BigIntegerField(default=0)
    received_upto = models.BigIntegerField(default=0)
    last_contact = models.DateTimeField(_("dernier contact"), null=True, blank=True)
    last_way = models.CharField(_("par"), max_length=8, choices=ContactWay.choices, blank=True,
                                default="")
    last_error = models.TextField(_("dernière erreur"), blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(_("révoqué"), default=False)
    # The number of the last bundle file written for this peer (``sync.bundle``): each
    # export or acknowledgement takes the next one, bound inside the signed file.
    bundle_number = models.BigIntegerField(default=0)
    # A node restored from an old backup (``sync.restore``): on the child, the parent's log
    # end when the restore was found; until its cursor passes it, the parent sends the
    # child's own operations back too (those the backup lacked).
    recover_own_until = models.BigIntegerField(default=0)
    # What the operator must read (a restore found), kept after the exchanges succeed.
    notice = models.TextField(_("avis"), blank=True, default="")
    notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["role", "name"]
        verbose_name = _("nœud pair")
        verbose_name_plural = _("nœuds pairs")

    def __str__(self) -> str:
        return self.name or self.node_id


class BundleReceipt(models.Model):
    """A bundle file from a peer that this node imported (``sync.bundle``): the same file
    twice is refused, and a data bundle older than one imported brings nothing."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="+")
    number = models.BigIntegerField()
    kind = models.CharField(max_length=8)  # "data" or "ack"
    written_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["peer", "number"], name="bundle_receipt_unique")]


class NodeRevocation(SyncedModel):
    """A node its parent revoked (``manage.py node revoke``): synchronised like
    configuration, so every node above (and beside) it learns it and refuses its
    exchanges and bundles from then on (``sync.enrol.is_revoked``)."""

    SYNC_ENTITY = "node_revocation"
    SYNC_SEALED = frozenset({"reason"})

    node_id = models.CharField(_("identifiant du nœud"), max_length=64, db_index=True)
    code = models.CharField(_("code"), max_length=12, blank=True, default="")
    name = models.CharField(_("nom"), max_length=200, blank=True, default="")
    revoked_at = models.DateTimeField(_("révoqué le"))
    reason = models.TextField(_("motif"), blank=True, default="")

    class Meta:
        ordering = ["-revoked_at"]
        verbose_name = _("révocation de nœud")
        verbose_name_plural = _("révocations de nœuds")

    def __str__(self) -> str:
        return self.name or self.code or self.node_id


class Holding(models.Model):
    """A record (or user) a child peer holds, as this node sent it: when a record enters
    a peer's scope its whole history is sent once; when it leaves, the peer purges it and
    the row goes."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="+")
    entity_id = models.UUIDField()
    # Sent with the operation of arrival number ``since``: confirmed once the peer's cursor
    # passes it (a lost answer is sent again). ``left``: the operation that took it out.
    since = models.BigIntegerField(default=0)
    left = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["peer", "entity_id"], name="holding_unique")]


class Nonce(models.Model):
    """Request nonces seen recently, so a captured request cannot be replayed."""

    value = models.CharField(max_length=64, primary_key=True)
    seen_at = models.DateTimeField(db_index=True)


class Quarantine(models.Model):
    """An operation refused for now (a clock too far ahead): kept, not applied, shown."""

    id = models.UUIDField(primary_key=True)
    origin_node = models.CharField(max_length=64)
    received_from = models.CharField(max_length=64)
    payload = models.JSONField()
    reason = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at"]
        verbose_name = _("opération en quarantaine")
        verbose_name_plural = _("opérations en quarantaine")


class SyncRun(models.Model):
    """A synchronisation started from the status page ("Synchroniser maintenant"), run in
    the background (``sync.runs``): its progress, read by every process that serves the
    page. Not synchronised."""

    peer_id = models.CharField(max_length=64)
    started_by_id = models.UUIDField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent = models.IntegerField(default=0)
    to_send = models.IntegerField(default=0)
    received = models.IntegerField(default=0)
    to_receive = models.IntegerField(default=0)
    exchanges = models.IntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # Set when a child pushed more while this run was going: the run goes round again
    # before it ends (``sync.runs.forward``).
    again = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("synchronisation lancée")
        verbose_name_plural = _("synchronisations lancées")


class PendingPurge(models.Model):
    """A record that left this node's scope: its rows are gone; its operations stay until
    the parent acknowledged them (``after_seq``), then go too."""

    record_type = models.CharField(max_length=20)
    record_id = models.UUIDField(primary_key=True)
    after_seq = models.BigIntegerField()
    purged_at = models.DateTimeField(auto_now_add=True)


class Conflict(models.Model):
    """Two nodes wrote one field concurrently. Every node keeps the same winner (the later
    stamp) and this row keeps the loser until a person decides (``sync.conflicts``).

    Identified the same way on every node (entity, path, loser's stamp), so resolving it
    on one node resolves it everywhere. Both values are sealed (they may name a child).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entity = models.CharField(max_length=30)
    entity_id = models.UUIDField()
    record_type = models.CharField(max_length=20, blank=True, default="")
    record_id = models.UUIDField(null=True, blank=True, db_index=True)
    path = models.CharField(max_length=200)
    values_blob = models.TextField(editable=False)  # sealed {"winner": v, "loser": v}
    winner_stamp = models.BigIntegerField()
    winner_origin = models.CharField(max_length=64)
    winner_author_id = models.UUIDField(null=True, blank=True)
    loser_stamp = models.BigIntegerField()
    loser_origin = models.CharField(max_length=64)
    loser_author_id = models.UUIDField(null=True, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_id = models.UUIDField(null=True, blank=True)
    resolved_stamp = models.BigIntegerField(null=True, blank=True)
    # The loser's value is the value held now: nothing to decide while it stays so. Woken
    # (``dormant`` false) if a write that did not see the loser changes the value; the
    # pages show only conflicts neither resolved nor dormant (``sync.apply._store_conflicts``).
    dormant = models.BooleanField(default=False)

    class Meta:
        ordering = ["-detected_at"]
        constraints = [models.UniqueConstraint(fields=["entity_id", "path", "loser_stamp"],
                                               name="conflict_unique")]
        indexes = [models.Index(fields=["resolved", "-detected_at"], name="conflict_open")]
        verbose_name = _("conflit de synchronisation")
        verbose_name_plural = _("conflits de synchronisation")

    @property
    def values(self) -> dict:
        from yiri.cases import identity

        return identity.unseal(self.values_blob, identity.conflict_binding(
            self.entity_id, self.path, self.loser_stamp, self.record_id))
