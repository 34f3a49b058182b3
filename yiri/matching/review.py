"""The review of possible duplicates: proposing a pair, the queue, the three decisions.

Who may do what (``review_duplicates``, seeded for relay-cell data managers, the
national coordination and administrators):

- the **queue** lists the open pairs (and those asked about) where the user sees at
  least one of the two records (``visible_to``), never a pair "not the same";
- **"Même enfant"** merges (``matching.merge``): both records in the user's own scope;
- **"Pas le même enfant"**: the user sees both; remembered as a ``NotSamePair`` that
  hides the pair for good, in either order, on every node it reaches;
- **"Demander à l'autre organisation"**: the user sees one record; the organisation that
  owns the other is notified (``workflow`` notifications, which store no text) through a
  ``MatchQuestion`` travelling with their record. They learn which organisation asks,
  never anything of the asker's record.

Everything is written through ``sync.log`` and audited with ids and codes only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiri.audit.models import AuditAction
from yiri.audit.services import record_event
from yiri.cases.access import rights_for
from yiri.cases.models import RECORD_MODELS, Record
from yiri.sync.log import save_logged

from .merge import has_right
from .models import (
    MatchBand,
    MatchCandidate,
    MatchQuestion,
    MatchSource,
    MatchStatus,
    NotSamePair,
    pair_key,
)


class ReviewRefused(Exception):
    """A decision that cannot be taken now (French message)."""


# ------------------------------------------------------------------- proposing


def decided_not_same(a_id, b_id, trace_row: str = "") -> bool:
    return NotSamePair.objects.filter(pair_key=pair_key(a_id, b_id, trace_row),
                                      deleted=False).exists()


def not_same_keys(keys) -> set[str]:
    keys = list(keys)
    return set(NotSamePair.objects.filter(pair_key__in=keys, deleted=False)
               .values_list("pair_key", flat=True)) if keys else set()


def propose(a: Record, b: Record, score, *, source: str, user=None,
            trace_row: str = "") -> MatchCandidate | None:
    """Put the pair ``a``/``b`` in the queue with its score (a ``scoring.PairScore``), unless
    it was decided "not the same", or is already waiting or decided. Returns the row made
    or found (``None`` for a pair set aside)."""
    key = pair_key(a.pk, b.pk, trace_row)
    if decided_not_same(a.pk, b.pk, trace_row):
        return None
    found = MatchCandidate.objects.filter(pair_key=key, deleted=False).order_by("-found_at").first()
    if found is not None:
        return found
    cand = MatchCandidate(
        id=uuid.uuid4(), record_type=a.RECORD_TYPE, record_id=a.pk, other_type=b.RECORD_TYPE,
        other_id=b.pk, trace_row=trace_row, pair_key=key, source=source,
        weight=float(getattr(score, "weight", 0.0) or 0.0),
        probability=float(getattr(score, "probability", 0.0) or 0.0),
        band=str(getattr(score, "band", MatchBand.POSSIBLE) or MatchBand.POSSIBLE),
        verdicts=verdict_codes(score), found_at=timezone.now(), found_by=user)
    save_logged(user, cand, created=True)
    return cand


def verdict_codes(score) -> list[list]:
    """The per-field explanation as codes and numbers (no value, no detail text)."""
    out = []
    for v in getattr(score, "fields", None) or []:
        out.append([str(getattr(v, "field", "")), str(getattr(v, "level", "")),
                    round(float(getattr(v, "weight", 0.0) or 0.0), 3)])
    return out


# ------------------------------------------------------------------- the queue


def _require(user) -> None:
    if not has_right(user):
        raise PermissionDenied(_("Votre rôle ne permet pas d'examiner les doublons."))


def _visible_ids(user, pairs: list[tuple[str, uuid.UUID]]) -> set:
    by_type: dict[str, set] = {}
    for rt, pk in pairs:
        by_type.setdefault(rt, set()).add(pk)
    seen: set = set()
    for rt, ids in by_type.items():
        model = RECORD_MODELS.get(rt)
        if model is not None and user.can("view", rt):
            seen |= set(model.objects.visible_to(user).filter(pk__in=ids)
                        .values_list("pk", flat=True))
    return seen


@dataclass
class QueueEntry:
    candidate: MatchCandidate
    a: Record | None  # None: not seen by the user (or not on this node)
    b: Record | None


QUEUE_LIMIT = 200


def queue(user, *, statuses=(MatchStatus.OPEN, MatchStatus.ASKED), source: str | None = None,
          limit: int = QUEUE_LIMIT) -> list[QueueEntry]:
    """The pairs ``user`` reviews, most probable first, one per pair."""
    _require(user)
    qs = MatchCandidate.objects.filter(status__in=list(statuses), deleted=False)
    if source:
        qs = qs.filter(source=source)
    rows = list(qs.order_by("-probability", "-weight", "-found_at")[: limit * 4])
    refs = [(c.record_type, c.record_id) for c in rows] + [(c.other_type, c.other_id) for c in rows]
    seen = _visible_ids(user, refs)
    gone = not_same_keys({c.pair_key for c in rows})
    records = {}
    for rt in {r for r, _pk in refs}:
        model = RECORD_MODELS[rt]
        for rec in model.objects.filter(pk__in=[pk for t, pk in refs if t == rt and pk in seen]):
            records[rec.pk] = rec
    out, keys = [], set()
    for c in rows:
        if c.pair_key in keys or c.pair_key in gone:
            continue
        a, b = records.get(c.record_id), records.get(c.other_id)
        if a is None and b is None:
            continue
        if (a is not None and a.deleted) or (b is not None and b.deleted):
            continue
        keys.add(c.pair_key)
        out.append(QueueEntry(c, a, b))
        if len(out) >= limit:
            break
    return out


def access_candidate(user, pk) -> QueueEntry:
    """One pair for ``user``: 404 unless they have the right and see one of its records."""
    if not has_right(user):
        raise Http404
    try:
        c = MatchCandidate.objects.get(pk=pk, deleted=False)
    except (MatchCandidate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    seen = _visible_ids(user, [(c.record_type, c.record_id), (c.other_type, c.other_id)])
    if not seen:
        raise Http404
    a = RECORD_MODELS[c.record_type].objects.filter(pk=c.record_id).first() if c.record_id in seen else None
    b = RECORD_MODELS[c.other_type].objects.filter(pk=c.other_id).first() if c.other_id in seen else None
    return QueueEntry(c, a, b)


def hidden_record(c: MatchCandidate, side: str) -> Record | None:
    """The record of a side the user does not see, to name its organisation only."""
    rt, pk = (c.record_type, c.record_id) if side == "a" else (c.other_type, c.other_id)
    return RECORD_MODELS[rt]._base_manager.filter(pk=pk).first()


# ------------------------------------------------------------------- decisions


def _decide(user, entry: QueueEntry, status: str) -> None:
    for c in MatchCandidate.objects.filter(pair_key=entry.candidate.pair_key, deleted=False):
        c.status = status
        c.decided_by = user
        c.decided_at = timezone.now()
        save_logged(user, c)


@transaction.atomic
def not_the_same(user, entry: QueueEntry, *, request=None) -> NotSamePair:
    """"Pas le même enfant": remembered, never proposed again."""
    _require(user)
    if entry.a is None or entry.b is None:
        raise PermissionDenied(_("Vous ne voyez pas les deux dossiers : demandez à l'autre "
                                 "organisation."))
    c = entry.candidate
    decision = NotSamePair(id=uuid.uuid4(), record_type=c.record_type, record_id=c.record_id,
                           other_type=c.other_type, other_id=c.other_id, trace_row=c.trace_row,
                           pair_key=c.pair_key, decided_by=user, decided_at=timezone.now())
    save_logged(user, decision, created=True)
    _decide(user, entry, MatchStatus.NOT_SAME)
    record_event(AuditAction.MATCH_DECISION, user=user, request=request,
                 record_type=c.record_type, record_id=c.record_id, other=str(c.other_id),
                 decision="not_same", candidate=str(c.pk))
    return decision


@transaction.atomic
def same_child(user, entry: QueueEntry, *, keep: str = "a", request=None):
    """"Même enfant": the pair merged into the record of side ``keep``."""
    from .merge import merge_records

    _require(user)
    c = entry.candidate
    if c.source == MatchSource.TRACING:
        raise ReviewRefused(_("Une demande de recherche n'est pas fusionnée avec le dossier "
                              "de l'enfant : confirmez la correspondance."))
    if entry.a is None or entry.b is None:
        raise PermissionDenied(_("Vous ne voyez pas les deux dossiers : demandez à l'autre "
                                 "organisation."))
    survivor, merged = (entry.a, entry.b) if keep != "b" else (entry.b, entry.a)
    merge = merge_records(user, survivor, merged, candidate=c, request=request)
    _decide(user, entry, MatchStatus.SAME)
    record_event(AuditAction.MATCH_DECISION, user=user, request=request,
                 record_type=c.record_type, record_id=c.record_id, other=str(c.other_id),
                 decision="same", candidate=str(c.pk), merge=str(merge.pk))
    return merge


@transaction.atomic
def tracing_match(user, entry: QueueEntry, *, request=None) -> None:
    """A tracing pair confirmed: the child sought is this case's child (no merge: the
    family's request and the child's case stay two records)."""
    _require(user)
    if entry.a is None or entry.b is None:
        raise PermissionDenied(_("Vous ne voyez pas les deux dossiers : demandez à l'autre "
                                 "organisation."))
    c = entry.candidate
    _decide(user, entry, MatchStatus.SAME)
    record_event(AuditAction.MATCH_DECISION, user=user, request=request,
                 record_type=c.record_type, record_id=c.record_id, other=str(c.other_id),
                 decision="tracing_match", candidate=str(c.pk))


def _notified(agency, record: Record) -> list:
    """Who hears of a question on ``record``: its owner, and the organisation's people
    who may review duplicates or supervise (assign) its records."""
    users = get_user_model().objects.filter(is_active=True).select_related("role")
    picked = {}
    if record.owner_id:
        owner = users.filter(pk=record.owner_id).first()
        if owner is not None:
            picked[owner.pk] = owner
    if agency is not None:
        for u in users.filter(agency=agency).order_by("username")[:200]:
            if u.can("review_duplicates", "system") or u.can("assign", record.RECORD_TYPE):
                picked.setdefault(u.pk, u)
    return list(picked.values())


@transaction.atomic
def ask_other(user, entry: QueueEntry, *, request=None) -> MatchQuestion:
    """"Demander à l'autre organisation": the organisation owning the record the user
    does not hold in their own scope (else the other side's) is asked and notified."""
    from yiri.workflow.models import Notification, NotificationKind

    _require(user)
    c = entry.candidate
    sides = {"a": entry.a or hidden_record(c, "a"), "b": entry.b or hidden_record(c, "b")}
    seen = {"a": entry.a, "b": entry.b}
    if seen["a"] is None and seen["b"] is None:
        raise ReviewRefused(_("Vous ne voyez aucun des deux dossiers."))

    def outside(side: str) -> bool:  # not held in the user's own scope
        return seen[side] is None or not rights_for(user, seen[side]).full

    def elsewhere(side: str) -> bool:  # owned by another organisation than the user's
        rec = sides[side]
        return rec is not None and rec.owning_agency_id != getattr(user, "agency_id", None)

    side = next((x for x in ("b", "a") if outside(x)), None) or \
        next((x for x in ("b", "a") if elsewhere(x)), "b")
    theirs = sides[side]
    if theirs is None:
        raise ReviewRefused(_("L'autre dossier n'est pas sur ce nœud."))
    to_agency = theirs.owning_agency
    question = MatchQuestion(id=uuid.uuid4(), record_type=theirs.RECORD_TYPE, record_id=theirs.pk,
                             candidate_id=c.pk, from_agency=user.agency, to_agency=to_agency,
                             asked_by=user, asked_at=timezone.now())
    save_logged(user, question, created=True)
    if theirs.RECORD_TYPE == "case":
        now = timezone.now()
        for u in _notified(to_agency, theirs):
            if u.pk == user.pk:
                continue
            save_logged(user, Notification(id=uuid.uuid4(), user=u, kind=NotificationKind.MATCH_QUESTION,
                                           case_id=theirs.pk, created_at=now), created=True)
    _decide(user, entry, MatchStatus.ASKED)
    record_event(AuditAction.MATCH_DECISION, user=user, request=request,
                 record_type=theirs.RECORD_TYPE, record_id=theirs.pk, decision="asked",
                 candidate=str(c.pk), to_agency=str(getattr(to_agency, "pk", "") or ""))
    return question


def questions_for(user) -> list[MatchQuestion]:
    """Questions about the records ``user`` sees (their organisation is asked)."""
    rows = list(MatchQuestion.objects.filter(deleted=False).select_related(
        "from_agency", "to_agency", "asked_by").order_by("-asked_at")[:500])
    seen = _visible_ids(user, [(q.record_type, q.record_id) for q in rows])
    out = [q for q in rows if q.record_id in seen]
    records = {}
    for q in out:
        records.setdefault(q.record_id, RECORD_MODELS[q.record_type].objects.filter(
            pk=q.record_id).first())
        q.record = records[q.record_id]
    return out


def pairs_of(record: Record) -> Q:
    return Q(record_id=record.pk) | Q(other_id=record.pk)


def queue_run(run) -> int:
    """Put the pairs a batch run found (``jobs``, ``DedupePair``) in the review queue
    (source "batch"), skipping pairs set aside or already waiting. Returns how many."""
    from yiri.cases.models import Case

    from .jobs import iter_pairs

    user = get_user_model().objects.filter(pk=run.started_by_id).first() if run.started_by_id else None
    n = 0
    batch: list = []

    def flush() -> int:
        ids = {a for a, _b, _s in batch} | {b for _a, b, _s in batch}
        cases = {str(c.pk): c for c in Case.objects.alive().filter(pk__in=ids)}
        done = 0
        for a, b, score in batch:
            if a in cases and b in cases and propose(cases[a], cases[b], score,
                                                     source=MatchSource.BATCH, user=user):
                done += 1
        batch.clear()
        return done

    for item in iter_pairs(run):
        batch.append(item)
        if len(batch) >= 500:
            n += flush()
    return n + flush()
