"""Settling synchronisation conflicts: who sees them, who decides, and the decision.

When two nodes wrote one field concurrently, every node keeps the same winner (the later
stamp) and a ``Conflict`` row keeps the loser (``sync.apply``). This module shows them to
the people who may read them and lets the people who may decide pick a value.

Who sees a conflict (``visible_conflicts``):

- on a record's answer (``"risk_level"``, ``"services/<row>/service_type"``): whoever may
  read that record (``cases.access``: its scope, shares and status) *and* the section of
  that field — the case worker of a case sees that it has a clash;
- on a record's metadata (``"@owner"``, ``"@status"``…): whoever may see the record;
- on a row that belongs to a record (a note, a share, a referral…): whoever reaches the
  record with full access (notes are only for them);
- on configuration or a user account (no record): whoever manages that kind of
  configuration (the system actions ``manage_users``, ``manage_roles``, ``manage_forms``,
  ``manage_network``): the administrators.

Who decides (``ConflictView.can_resolve``): a user whose role has the system action
``resolve_conflicts`` (seeded for supervisors, relay-cell data managers and
administrators) *and* who may write the value in question: ``edit`` on the record and the
field's section writable (or that subform row granted); for metadata and rows of a record,
full access and ``edit``; for configuration, the managing right. Everyone else who sees a
conflict sees it read-only. With the seeded roles a relay-cell data manager reads records
only, so they see the conflicts of their cell but the supervisor or an administrator
decides; giving their role ``edit`` lets them decide too.

The decision (``resolve``) is an ordinary write carrying ``meta["resolves"] = [[path,
loser stamp]]``: through ``cases.services`` for records, through the logged ``save`` for
other rows. It synchronises like any change, and every node that applies it marks its own
copy of the conflict resolved (``sync.apply.settle_conflicts``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import clock as node_clock
from .apply import _set_column, entity_models, is_record_entity, settle_conflicts
from .fieldclock import FieldClock
from .log import m2m_value, plain, row_values, save_logged
from .models import Conflict, Operation, Peer

KEEP_CHOICES = ("winner", "loser", "new")
RESOLVE_RIGHT = "resolve_conflicts"
# Open conflicts read for one list (newest first); more than this is a network problem the
# status page shows by its count.
MAX_SCANNED = 2000

META_LABELS = {
    "@owner": gettext_lazy("Responsable"),
    "@owning_agency": gettext_lazy("Organisation responsable"),
    "@status": gettext_lazy("Statut"),
    "@workflow_stage": gettext_lazy("Étape"),
    "@case": gettext_lazy("Dossier lié"),
    "@deleted": gettext_lazy("Supprimé"),
    "@deleted_at": gettext_lazy("Date de suppression"),
    "@short_id": gettext_lazy("Numéro du dossier"),
    "@created_by": gettext_lazy("Créé par"),
}
# Metadata a person may set back to the losing value; for the others (the tombstone, the
# creator, the number) only the value kept by every node can be confirmed.
META_SETTABLE = {"@owner": "owner_id", "@owning_agency": "owning_agency_id", "@status": "status",
                 "@workflow_stage": "workflow_stage", "@case": "case_id"}

# The system action that manages each kind of configuration (by app, then by entity).
_MANAGE_BY_ENTITY = {"user": "manage_users", "usergroup": "manage_users", "role": "manage_roles"}
_MANAGE_BY_APP = {"accounts": "manage_users", "formconfig": "manage_forms",
                  "network": "manage_network"}


class ResolutionRefused(Exception):
    """A resolution that cannot be written (already settled, stale page, invalid value):
    nothing was written. ``errors`` are messages about the typed value."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


@dataclass
class Side:
    """One of the two values: what it is and who wrote it, where and when."""

    value: Any
    stamp: int | None
    origin: str
    author_id: uuid.UUID | None
    author: str = ""
    node: str = ""

    @property
    def at(self) -> dt.datetime | None:
        return node_clock.stamp_time(self.stamp) if self.stamp else None


@dataclass
class ConflictView:
    """A conflict as ``user`` may see it.

    ``kept`` is the value every node holds now (the winner, unless someone wrote the field
    since), ``other`` the losing one. ``stamp`` is the field's stamp now: a resolution
    form sends it back, so a decision taken on a page that is out of date is refused.
    """

    conflict: Conflict
    kind: str  # "answer", "meta", "row" (a row of a record) or "config"
    label: str
    stamp: int | None
    kept: Side | None = None  # filled for the conflicts shown (``_fill``)
    other: Side | None = None
    record: Any = None
    obj: Any = None
    schema: Any = None
    field: Any = None  # the FieldDef of an answer (None for a whole row, metadata, rows)
    can_resolve: bool = False
    why_not: str = ""
    choices: tuple[str, ...] = ("winner", "loser")

    @property
    def id(self) -> uuid.UUID:
        return self.conflict.pk

    @property
    def path(self) -> str:
        return self.conflict.path

    @property
    def can_type(self) -> bool:
        return "new" in self.choices


# ---------------------------------------------------------------- who sees what


def manage_right(entity: str) -> str:
    """The system action that manages rows of ``entity`` (configuration, users)."""
    model = entity_models().get(entity)
    if entity in _MANAGE_BY_ENTITY:
        return _MANAGE_BY_ENTITY[entity]
    app = model._meta.app_label if model is not None else ""
    return _MANAGE_BY_APP.get(app, "manage_network")


def visible_conflicts(user, *, record=None, limit: int | None = None) -> list[ConflictView]:
    """The unresolved conflicts ``user`` may see (of ``record`` only, when given), newest
    first (the first ``limit``), each with both values and whether ``user`` may resolve
    it."""
    views = _visible(user, record)
    views = views if limit is None else views[:limit]
    _fill(views)
    return views


def count_visible_conflicts(user, *, record=None) -> int:
    """How many unresolved conflicts ``user`` may see (values are not read)."""
    return len(_visible(user, record))


def _visible(user, record) -> list[ConflictView]:
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    qs = Conflict.objects.filter(resolved=False, dormant=False)
    if record is not None:
        qs = qs.filter(record_type=record.RECORD_TYPE, record_id=record.pk)
    elif not Conflict.objects.filter(resolved=False, dormant=False).exists():
        return []
    conflicts = list(qs.order_by("-detected_at", "id")[:MAX_SCANNED])
    return _views(user, conflicts, given=record) if conflicts else []


def conflict_for(user, conflict_id, *, resolved: bool = False) -> ConflictView:
    """One unresolved conflict ``user`` may see (or a resolved one too, with
    ``resolved``); 404 otherwise (an outsider learns nothing, not even that it exists)."""
    qs = Conflict.objects.filter(pk=conflict_id)
    if not resolved:
        qs = qs.filter(resolved=False, dormant=False)
    try:
        conflict = qs.first()
    except (ValueError, TypeError, ValidationError):
        conflict = None
    views = _views(user, [conflict]) if conflict is not None else []
    if not views:
        raise Http404(_("Conflit introuvable ou déjà résolu."))
    _fill(views)
    return views[0]


def _views(user, conflicts: list[Conflict], given=None) -> list[ConflictView]:
    from yiri.cases.models import RECORD_MODELS

    if not user.is_authenticated or not user.is_active:
        return []
    records: dict[uuid.UUID, Any] = {}
    for rt, model in RECORD_MODELS.items():
        ids = {c.record_id for c in conflicts if c.record_type == rt and c.record_id}
        if not ids:
            continue
        if given is not None and given.RECORD_TYPE == rt and given.pk in ids:
            records[given.pk] = given
            ids.discard(given.pk)
        if ids:
            records.update({r.pk: r for r in model.objects.visible_to(user).filter(pk__in=ids)})
    rows = _rows(conflicts)
    out = []
    for c in conflicts:
        if c.record_id:
            record = records.get(c.record_id)
            if record is None:
                continue
            if is_record_entity(c.entity) and c.entity_id == record.pk:
                view = _record_view(user, c, record)
            else:
                view = _row_view(user, c, rows.get(c.entity_id), record)
        else:
            view = _row_view(user, c, rows.get(c.entity_id), None)
        if view is not None:
            out.append(view)
    return out


def _rows(conflicts: list[Conflict]) -> dict[uuid.UUID, models.Model]:
    by_entity: dict[str, set] = {}
    for c in conflicts:
        if not is_record_entity(c.entity):
            by_entity.setdefault(c.entity, set()).add(c.entity_id)
    found: dict[uuid.UUID, models.Model] = {}
    for entity, ids in by_entity.items():
        model = entity_models().get(entity)
        if model is not None:
            found.update({o.pk: o for o in model._base_manager.filter(pk__in=ids)})
    return found


def _fill(views: list[ConflictView]) -> None:
    """Both values of each view, who wrote them and where (for the conflicts shown)."""
    from yiri.cases import identity
    from yiri.cases.services import flatten

    answers: dict[uuid.UUID, dict] = {}
    for view in views:
        c, stamp = view.conflict, view.stamp
        if view.kind == "answer":
            if view.record.pk not in answers:
                answers[view.record.pk] = flatten(
                    view.schema, identity.read_answers(view.record, view.schema))
            current = answers[view.record.pk].get(c.path)
        elif view.kind == "meta":
            current = plain(getattr(view.record, _meta_names(view.record)[c.path]))
        elif view.field.many_to_many:
            current = m2m_value(view.obj, c.path)
        else:
            current = row_values(view.obj).get(c.path)
        values = c.values
        if stamp == c.winner_stamp or stamp is None:
            view.kept = Side(values.get("winner") if stamp is None else current, c.winner_stamp,
                             c.winner_origin, c.winner_author_id)
        else:  # written again since the clash: who wrote what is held now
            origin, author = (Operation.objects.filter(entity_id=c.entity_id, hlc=stamp)
                              .values_list("origin_node", "author_id").first() or ("", None))
            view.kept = Side(current, stamp, origin, author)
        view.other = Side(values.get("loser"), c.loser_stamp, c.loser_origin, c.loser_author_id)
    _name_sides(views)


def _meta_names(record) -> dict[str, str]:
    from yiri.cases.services import META_FIELDS, meta_path

    return {meta_path(n): n for n in META_FIELDS if hasattr(record, n)}


def _record_view(user, c: Conflict, record) -> ConflictView | None:
    from yiri.cases.access import field_limits, path_shown, readable_sections, rights_for
    from yiri.formconfig.schema import get_schema

    rights = rights_for(user, record)
    if not rights.actions:
        return None
    schema = get_schema(record.RECORD_TYPE)
    stamp = FieldClock(record.field_clock).get(c.path)
    resolver = user.can(RESOLVE_RIGHT, "system")
    if c.path.startswith("@"):
        if c.path not in _meta_names(record):
            return None
        writable = rights.full and rights.can("edit")
        kind, f, label = "meta", None, str(META_LABELS.get(c.path, c.path))
        choices = ("winner", "loser") if c.path in META_SETTABLE else ("winner",)
    else:
        parts = c.path.split("/")
        top = schema.fields.get(parts[0])
        if top is None or len(parts) not in (1, 3):
            return None  # a field this form no longer has: kept in the log, not shown
        if top.section not in readable_sections(user, schema, record):
            return None
        if not path_shown(field_limits(user, schema.record_type), c.path):
            return None
        kind = "answer"
        if len(parts) == 3:
            sub = schema.subform_fields(top).get(parts[2])
            writable = rights.can("edit") and rights.may_write_row(top.code, top.section,
                                                                   parts[1], False)
            if parts[2] == "_deleted":
                f, label = None, _("%(what)s : ligne supprimée") % {"what": top.label}
                choices = ("winner", "loser") if c.values.get("loser") is True else ("winner",)
            elif sub is None:
                return None
            else:
                f, label = sub, f"{top.label} › {sub.label}"
                choices = KEEP_CHOICES
        else:
            writable = rights.can("edit") and top.section in rights.write
            f, label, choices = top, top.label, KEEP_CHOICES
    view = ConflictView(conflict=c, kind=kind, label=label, stamp=stamp, record=record,
                        schema=schema, field=f, choices=choices)
    _decide(view, user, resolver, writable)
    return view


def _row_view(user, c: Conflict, obj, record) -> ConflictView | None:
    from yiri.cases.access import rights_for

    if obj is None:
        return None
    if record is not None:
        rights = rights_for(user, record)
        if not rights.full:
            return None
        writable = rights.can("edit")
        kind = "row"
    else:
        if not user.can(manage_right(c.entity), "system"):
            return None
        writable, kind = True, "config"
    model = type(obj)
    try:
        column = model._meta.get_field(c.path)
        column_label = str(column.verbose_name)
    except Exception:  # a column this version does not have
        return None
    label = f"{str(model._meta.verbose_name).capitalize()} › {column_label}"
    view = ConflictView(conflict=c, kind=kind, label=label, record=record, obj=obj,
                        field=column, stamp=FieldClock(obj.field_clock).get(c.path))
    _decide(view, user, user.can(RESOLVE_RIGHT, "system"), writable)
    return view


def _decide(view: ConflictView, user, resolver: bool, writable: bool) -> None:
    view.can_resolve = resolver and writable
    if not resolver:
        view.why_not = _("Votre rôle ne permet pas de résoudre les conflits : un superviseur ou "
                         "un administrateur choisira la valeur à garder.")
    elif view.record is not None and view.record.status != "open":
        view.why_not = _("Ce dossier n'est pas ouvert : rouvrez-le pour résoudre ce conflit.")
    elif not writable:
        view.why_not = _("Vous ne pouvez pas modifier cette valeur : la personne qui suit ce "
                         "dossier ou son superviseur choisira.")


def _name_sides(views: list[ConflictView]) -> None:
    """Who wrote each value (a person's name) and on which node, in two queries."""
    sides = [s for v in views for s in (v.kept, v.other)]
    authors = {s.author_id for s in sides if s.author_id}
    users = {u.pk: (u.get_full_name() or u.username)
             for u in get_user_model()._base_manager.filter(pk__in=authors)} if authors else {}
    nodes = node_names({s.origin for s in sides})
    for s in sides:
        s.author = users.get(s.author_id, "")
        s.node = nodes.get(s.origin) or (s.origin if len(s.origin) <= 20 else s.origin[:8] + "…")


def node_names(node_ids: set[str]) -> dict[str, str]:
    """A readable name for each node id: this node, a peer, or a node of the network."""
    from yiri.network.models import Node

    ids = {n for n in node_ids if n}
    out = dict(Node.objects.filter(node_id__in=ids).values_list("node_id", "name"))
    out.update({p.node_id: p.name for p in Peer.objects.filter(node_id__in=ids) if p.name})
    if settings.YIRI_NODE_ID in ids:
        out[settings.YIRI_NODE_ID] = _("ce nœud")
    return out


# ----------------------------------------------------------------------- deciding


def resolve(user, conflict: Conflict, *, keep: str, value: Any = None, request=None,
            seen_stamp: Any = None) -> Operation:
    """Settle ``conflict`` as ``user``: keep the value every node holds now (``"winner"``),
    the losing one (``"loser"``) or write ``value`` (``"new"``, checked like a form).

    ``seen_stamp`` is the field's stamp the page showed (``ConflictView.stamp``): if the
    field was written since, the decision is refused (``ResolutionRefused``) and nothing
    is written. Raises ``Http404`` for a conflict the user may not see and
    ``PermissionDenied`` for one they may not resolve. Returns the operation written.
    """
    from yiri.audit.models import AuditAction
    from yiri.audit.services import record_event

    if keep not in KEEP_CHOICES:
        raise ResolutionRefused(_("Choisissez la valeur à garder."))
    with transaction.atomic():
        locked = Conflict.objects.select_for_update().filter(pk=conflict.pk).first()
        view = conflict_for(user, locked.pk if locked else conflict.pk, resolved=True)
        c = view.conflict
        if c.resolved:
            raise ResolutionRefused(_("Ce conflit a déjà été résolu : rien n'a été enregistré."))
        if not view.can_resolve:
            raise PermissionDenied(view.why_not)
        if keep not in view.choices:
            raise ResolutionRefused(_("Pour ce champ, vous pouvez seulement confirmer la valeur "
                                      "gardée ou reprendre l'autre."))
        if seen_stamp is not None and str(seen_stamp) != str(view.stamp or ""):
            raise ResolutionRefused(_(
                "Cette valeur a été modifiée depuis l'affichage de la page : rien n'a été "
                "enregistré. Relisez les deux valeurs ci-dessous, puis choisissez de nouveau."))
        resolves = {"resolves": [[c.path, c.loser_stamp]]}
        if view.kind in ("answer", "meta"):
            op = _resolve_record(user, view, keep, value, resolves, request)
        else:
            op = _resolve_row(user, view, keep, resolves)
        settle_conflicts(op)
        c.refresh_from_db()
        if not c.resolved:  # (settle_conflicts matched it; kept as a safety net)
            c.resolved, c.resolved_at, c.resolved_by_id, c.resolved_stamp = (
                True, timezone.now(), user.pk, op.hlc)
            c.save(update_fields=["resolved", "resolved_at", "resolved_by_id", "resolved_stamp"])
        # Ids and codes only: never the values, which may name a child.
        record_event(AuditAction.CONFLICT_RESOLVED, user=user, request=request,
                     record_type=c.record_type, record_id=c.record_id, conflict=str(c.pk),
                     entity=c.entity, entity_id=str(c.entity_id), path=c.path, kept=keep,
                     operation=str(op.pk))
    return op


def _resolve_record(user, view: ConflictView, keep: str, value: Any, resolves: dict,
                    request) -> Operation:
    from yiri.audit.models import AuditAction
    from yiri.cases.services import (
        EditConflict,
        StaleRecord,
        set_record_meta,
        stamps_of,
        update_record,
    )
    from yiri.formconfig.validation import AnswersInvalid

    record, c = view.record, view.conflict
    model = type(record)
    record = model.objects.select_for_update().get(pk=record.pk)
    try:
        if keep == "winner":
            # Nothing changes: the operation only says the conflict is settled.
            update_record(user, record, {}, base_stamps={}, extra_meta=resolves, request=request)
        elif view.kind == "meta":
            set_record_meta(user, record, "resolve_conflict", AuditAction.UPDATE, request,
                            extra_meta=resolves, **_meta_value(c.path, c.values.get("loser")))
        else:
            wanted = c.values.get("loser") if keep == "loser" else value
            code = c.path.split("/")[0]
            update_record(user, record, _answers_for(c.path, wanted), extra_meta=resolves,
                          base_stamps=stamps_of(record, view.schema, [code]), request=request)
    except AnswersInvalid as exc:
        raise ResolutionRefused(
            _("La valeur n'est pas acceptée : rien n'a été enregistré."),
            [m for msgs in exc.errors.values() for m in msgs]) from exc
    except (EditConflict, StaleRecord) as exc:
        raise ResolutionRefused(_(
            "Cette valeur a été modifiée pendant l'enregistrement : rien n'a été enregistré. "
            "Relisez les deux valeurs, puis choisissez de nouveau.")) from exc
    # The record is locked: the last operation on it is the one just written.
    return Operation.objects.filter(entity_id=record.pk).order_by("-seq").first()


def _answers_for(path: str, value: Any) -> dict:
    parts = path.split("/")
    if len(parts) == 3:
        row = {"_id": parts[1], parts[2]: value}
        return {parts[0]: [row]}
    return {path: value}


def _meta_value(path: str, value: Any) -> dict:
    from django.apps import apps

    from yiri.cases.models import CaseStatus, WorkflowStage

    name = META_SETTABLE[path]
    if value is not None and name.endswith("_id"):
        target = {"owner_id": get_user_model(), "owning_agency_id": apps.get_model("network", "Agency"),
                  "case_id": apps.get_model("cases", "Case")}[name]
        if not target._base_manager.filter(pk=value).exists():
            raise ResolutionRefused(_("Cette valeur désigne une personne, une organisation ou un "
                                      "dossier que ce nœud ne connaît pas : gardez l'autre."))
    if name == "status" and value not in CaseStatus.values:
        raise ResolutionRefused(_("Statut inconnu : gardez l'autre valeur."))
    if name == "workflow_stage" and value not in WorkflowStage.values:
        raise ResolutionRefused(_("Étape inconnue : gardez l'autre valeur."))
    return {name: value}


def _resolve_row(user, view: ConflictView, keep: str, resolves: dict) -> Operation:
    c = view.conflict
    model = type(view.obj)
    obj = model._base_manager.select_for_update().get(pk=view.obj.pk)
    if keep == "loser":
        m2m: dict[str, list] = {}
        _set_column(obj, c.path, c.values.get("loser"), m2m)
        for name, ids in m2m.items():
            getattr(obj, name).set(ids)
    obj._sync_meta = resolves
    try:
        op = save_logged(user, obj)
    finally:
        obj._sync_meta = None
    return op
