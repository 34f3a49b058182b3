"""Who may see and do what with which record — the one place that decides.

``scope_q`` builds the filter of the records a user may see; every list, search, count,
detail, export, API and sync path uses it (through ``Record.objects.visible_to``).
``access_record`` fetches one record for an action: 404 when the user may not see it
(an outsider learns nothing, not even that it exists), 403 when they see it but may
not do the action.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from yiri.accounts.models import Action, FormRight, Scope
from yiri.formconfig.models import FieldType
from yiri.formconfig.schema import FormSchema, get_schema

from .models import CaseStatus, Record, RecordShare, ShareKind


def _shared_ids(record_type: str, q: Q, only_assignments: bool = False) -> list:
    shares = RecordShare.objects.filter(q, record_type=record_type, active=True, deleted=False)
    if only_assignments:
        shares = shares.filter(kind=ShareKind.ASSIGNED)
    return list(shares.values_list("record_id", flat=True))


def scope_q(user, model: type[Record], *, shares: bool = True) -> Q:
    """The records of ``model`` that ``user`` may see (tombstones excluded).

    The small sets a scope depends on (the user's active shares, the team's members, the
    cell's member organisations) are read first, so the filter on records is
    ``owner_id IN (…) OR id IN (…) OR …`` over literal values, which both databases answer
    from indexes. Sub-queries correlated with every record would force a scan of the
    records table as soon as another filter is selective (bench/README.md: a supervisor's
    filtered page on 1,000,000 cases, p95 440 ms → 101 ms on PostgreSQL).

    With ``shares=False``, only what the user's role reaches by itself (and assignments):
    the records the user works on as their own, e.g. for an export, which a referral does
    not allow.
    """
    memo = getattr(user, MEMO, None)
    if memo is None:
        return _scope_q(user, model, shares=shares)
    key = (model.RECORD_TYPE, shares)
    if key not in memo:
        memo[key] = _scope_q(user, model, shares=shares)
    return memo[key]


# The attribute of ``request.user`` holding the scopes already built in this request: set
# only for requests that change nothing (GET, HEAD: ``remember_scopes``), so that a share
# given or withdrawn by the request itself is always seen by its next read. A page asks for
# the same scope several times (list, counts, to-do list, flags…), each time reading the
# user's shares and team.
MEMO = "_yiri_scope_memo"


def remember_scopes(request) -> None:
    """Let the scopes of ``request.user`` be built once for this request (safe methods)."""
    if request.method in ("GET", "HEAD"):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            setattr(user, MEMO, {})


def _scope_q(user, model: type[Record], *, shares: bool = True) -> Q:
    alive = Q(deleted=False)
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    rt = model.RECORD_TYPE
    if not user.can("view", rt):
        return Q(pk__in=[])
    scope = user.scope
    if scope == Scope.ALL:
        return alive
    # Owner and active shares only: whoever created a record keeps no access of their own
    # once it is transferred. A share naming an organisation but no user (a referral or
    # pending transfer "to BTA") reaches that organisation's users.
    mine = Q(user=user)
    if user.agency_id:
        mine |= Q(user__isnull=True, agency_id=user.agency_id)
    if scope == Scope.GROUP:
        team = sorted(_team_ids(user), key=str)
        ids = _shared_ids(rt, mine | Q(user__in=team), not shares)
        return alive & (Q(owner_id__in={user.pk, *team}) | Q(pk__in=ids))
    own = Q(owner_id=user.pk) | Q(pk__in=_shared_ids(rt, mine, not shares))
    if scope == Scope.OWN:
        return alive & own
    if scope == Scope.AGENCY and user.agency_id:
        ids = _shared_ids(rt, Q(agency_id=user.agency_id), not shares)
        return alive & (own | Q(owning_agency_id=user.agency_id) | Q(pk__in=ids))
    if scope == Scope.CELL and user.relay_cell_id:
        cell = user.relay_cell
        by_place = Q(pk__in=[])
        for path in cell.regions.values_list("path", flat=True):
            by_place |= Q(location_path__startswith=path)
        members = list(cell.members.values_list("pk", flat=True))
        return alive & (own | Q(owning_agency_id__in=members) | by_place)
    if scope in (Scope.AGENCY, Scope.CELL):
        return alive & own
    return Q(pk__in=[])


# ---------------------------------------------------------------------------------------
# What a user may do with one record


# Actions left on a record that is not open (closed, transferred, marked duplicate): it is
# read-only until reopened.
READ_ONLY_ACTIONS = frozenset({"view", "export", "reopen", "delete"})
ERASED_ACTIONS = frozenset({"view", "export"})
ALL = "*"


@dataclass(frozen=True)
class RecordRights:
    """What ``user`` may do with one record: the contract every read and write applies.

    ``full`` is access through the user's own role scope (owner, team, organisation, cell,
    everything) or an assignment: the role's rights apply unchanged. Otherwise the user
    reaches the record only through shares (a referral, a pending transfer) and gets the
    union of what those shares permit, never more than the role allows.
    ``rows`` names, per subform, the rows the user may write when the subform's section is
    not writable as a whole; ``add_rows`` the subforms where the user may add rows.
    """

    actions: frozenset[str]
    read: frozenset[str]
    write: frozenset[str]
    rows: dict[str, frozenset[str]] = field(default_factory=dict)
    add_rows: frozenset[str] = frozenset()
    full: bool = False
    is_open: bool = True

    def can(self, action: str) -> bool:
        return action in self.actions

    @property
    def notes(self) -> bool:
        """Notes are free text about the child and family: only for full access."""
        return self.full

    def may_write_row(self, subform: str, section: str, row_id: str, new: bool) -> bool:
        if not self.is_open or "edit" not in self.actions:
            return False
        if section in self.write:
            return True
        if new:
            return subform in self.add_rows
        return row_id in self.rows.get(subform, ())


NO_RIGHTS = RecordRights(frozenset(), frozenset(), frozenset(), full=False)


def _role_sections(user, record_type: str, wanted: tuple[str, ...]) -> set[str]:
    schema = get_schema(record_type)
    return {s.code for s in schema.main_sections
            if section_right(user, record_type, s.code) in wanted}


def _team_ids(user) -> set:
    cached = getattr(user, "_yiri_team_ids", None)
    if cached is None:
        from django.contrib.auth import get_user_model

        cached = set(get_user_model().objects.filter(user_groups__in=user.user_groups.all())
                     .values_list("pk", flat=True))
        user._yiri_team_ids = cached
    return cached


def in_role_scope(user, record: Record) -> bool:
    """Whether ``user`` reaches ``record`` through their role's scope alone (no share)."""
    scope = user.scope
    if scope == Scope.NONE or not user.can("view", record.RECORD_TYPE):
        return False
    if scope == Scope.ALL or record.owner_id == user.pk:
        return True
    if scope == Scope.GROUP:
        return record.owner_id in _team_ids(user)
    if scope == Scope.AGENCY:
        return bool(user.agency_id) and record.owning_agency_id == user.agency_id
    if scope == Scope.CELL and user.relay_cell_id:
        cell = user.relay_cell
        if record.owning_agency_id in set(cell.members.values_list("pk", flat=True)):
            return True
        return any(record.location_path.startswith(p)
                   for p in cell.regions.values_list("path", flat=True))
    return False


def shares_reaching(user, record_type: str, record_ids, *, oversight: bool = True):
    """The active shares of the records ``record_ids`` that reach ``user``, as ``scope_q``
    counts them: the user's own and their organisation's (``_is_direct``), and with
    ``oversight`` those of the people a team or organisation scope oversees."""
    reach = Q(user=user)
    if user.agency_id:
        reach |= Q(user__isnull=True, agency_id=user.agency_id)
    if oversight and user.scope == Scope.GROUP:
        reach |= Q(user__in=_team_ids(user))
    elif oversight and user.scope == Scope.AGENCY and user.agency_id:
        reach |= Q(agency_id=user.agency_id)
    return RecordShare.objects.filter(reach, record_type=record_type, record_id__in=list(record_ids),
                                      active=True, deleted=False)


def _is_direct(user, share: RecordShare) -> bool:
    return share.user_id == user.pk or (share.user_id is None and share.agency_id == user.agency_id)


def rights_for(user, record: Record) -> RecordRights:
    """The rights of ``user`` on ``record`` (which the caller fetched through
    ``visible_to``). Cached on the record object for the length of a request."""
    cache = record.__dict__.setdefault("_yiri_rights", {})
    key = getattr(user, "pk", None)
    if key in cache:
        return cache[key]
    rights = _compute_rights(user, record)
    cache[key] = rights
    return rights


def forget_rights(record: Record) -> None:
    """Drop the cached rights of ``record`` (after its shares or status changed)."""
    record.__dict__.pop("_yiri_rights", None)


def _compute_rights(user, record: Record) -> RecordRights:
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_RIGHTS
    rt = record.RECORD_TYPE
    # An erased record (``cases.erasure``) stays read-only: its identifying data is gone.
    is_open = (record.status == CaseStatus.OPEN and not record.deleted
               and not getattr(record, "erased", False))
    role_actions = frozenset(a.value for a in Action if user.can(a.value, rt))
    role_read = _role_sections(user, rt, (FormRight.READ, FormRight.WRITE))
    role_write = _role_sections(user, rt, (FormRight.WRITE,))
    full = user.is_superuser or in_role_scope(user, record)
    shares = [] if full else list(shares_reaching(user, rt, [record.pk]))
    if not full and any(s.permits_all and _is_direct(user, s) for s in shares):
        full = True  # an assignment: the role's rights, as for the user's own records
    if full:
        actions, read, write = role_actions, frozenset(role_read), frozenset(role_write)
        rows: dict[str, frozenset[str]] = {}
        add_rows: frozenset[str] = frozenset()
    else:
        if not shares:
            return NO_RIGHTS
        granted_actions, granted_read, granted_write = set(), set(), set()
        row_grants: dict[str, set[str]] = {}
        adds: set[str] = set()
        for share in shares:
            granted_read.update(role_read if ALL in (share.sections_read or []) else
                                share.sections_read or [])
            if not _is_direct(user, share):
                # A supervisor looking at what a team member received: reading only.
                granted_actions.add("view")
                continue
            granted_actions.update(share.actions or [])
            granted_write.update(role_write if ALL in (share.sections_write or []) else
                                 share.sections_write or [])
            for sub, ids in (share.rows_write or {}).items():
                row_grants.setdefault(sub, set()).update(ids)
            adds.update(share.rows_add or [])
        actions = frozenset(granted_actions) & role_actions
        read = frozenset(granted_read & role_read)
        write = frozenset(granted_write & role_write)
        schema = get_schema(rt)
        subform_section = {code: f.section for code, f in schema.fields.items()
                           if f.type == FieldType.SUBFORM}
        # A row grant counts only where the role may write that subform's section.
        rows = {sub: frozenset(ids) for sub, ids in row_grants.items()
                if subform_section.get(sub) in role_write}
        add_rows = frozenset(sub for sub in adds if subform_section.get(sub) in role_write)
    if not is_open:
        # An erased record is never reopened: what would be typed in it again would not
        # travel (``cases.erasure.scrub_incoming``).
        actions = actions & (ERASED_ACTIONS if getattr(record, "erased", False)
                             else READ_ONLY_ACTIONS)
        write, rows, add_rows = frozenset(), {}, frozenset()
    return RecordRights(actions=frozenset(actions), read=read, write=write, rows=rows,
                        add_rows=add_rows, full=full, is_open=is_open)


def readable_in(user, records, section: str) -> set:
    """The ids of ``records`` (already scoped to ``user``) whose ``section`` the user may
    read: the role's right for records in the role's scope, the shares' for the others,
    in one query for a whole page of a list."""
    records = list(records)
    if not records:
        return set()
    rt = records[0].RECORD_TYPE
    if section_right(user, rt, section) not in (FormRight.READ, FormRight.WRITE):
        return set()
    if user.is_superuser:
        return {r.pk for r in records}
    out = {r.pk for r in records if in_role_scope(user, r)}
    others = [r.pk for r in records if r.pk not in out]
    if others:
        for record_id, read in (shares_reaching(user, rt, others)
                                .values_list("record_id", "sections_read")):
            if ALL in (read or []) or section in (read or []):
                out.add(record_id)
    return out


def access_record(user, model: type[Record], pk, action: str = "view") -> Record:
    """The record ``pk`` if ``user`` may see it and do ``action``; 404 / 403 otherwise."""
    try:
        record = model.objects.visible_to(user).get(pk=pk)
    except (model.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404(_("Dossier introuvable.")) from None
    rights = rights_for(user, record)
    if not rights.actions:
        raise Http404(_("Dossier introuvable."))
    if action != "view" and not rights.can(action):
        if not user.can(action, model.RECORD_TYPE):
            raise PermissionDenied(_("Votre rôle ne permet pas cette action sur ce dossier."))
        if not rights.is_open:
            raise PermissionDenied(_("Ce dossier n'est pas ouvert : rouvrez-le pour le modifier."))
        if not rights.full:
            raise PermissionDenied(_("Ce dossier vous est confié par une orientation ou un "
                                     "transfert : cette action revient à l'organisation qui le "
                                     "suit."))
        raise PermissionDenied(_("Vous ne pouvez pas faire cette action sur ce dossier."))
    record._vetted_for = user  # this request's user may view it (``vetted``)
    return record


def vetted(user, record: Record) -> Record:
    """``record`` if ``access_record`` gave it to this very ``user`` object (one request:
    the case page's panels need not look it up again); ``access_record`` otherwise."""
    if record.__dict__.get("_vetted_for") is user:
        return record
    return access_record(user, type(record), record.pk)


def section_right(user, record_type: str, section_code: str) -> str:
    """The right of ``user``'s role on a section (no record: what lists and forms use)."""
    if user.is_superuser:
        return FormRight.WRITE
    if not user.role:
        return FormRight.NONE
    return user.role.section_right(record_type, section_code)


@dataclass(frozen=True)
class FieldLimits:
    """Single fields a role reads less of than their section grants (``Role.field_rights``):
    ``hidden`` ones are never shown, sent, exported or searched on; ``read_only`` ones are
    shown but never written. Codes are a form's field codes, and ``subform.field`` for a
    subform's row fields. They hold wherever the user reaches the record from (own scope,
    assignment or share): a share never grants more than the role."""

    hidden: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()

    def shows(self, code: str, subform: str | None = None) -> bool:
        return (f"{subform}.{code}" if subform else code) not in self.hidden

    def writes(self, code: str, subform: str | None = None) -> bool:
        key = f"{subform}.{code}" if subform else code
        return key not in self.hidden and key not in self.read_only

    def __bool__(self) -> bool:
        return bool(self.hidden or self.read_only)


NO_LIMITS = FieldLimits()


def field_limits(user, record_type: str) -> FieldLimits:
    """The field limits of ``user``'s role on ``record_type`` (none for a superuser)."""
    if user is None or getattr(user, "is_superuser", False) or not getattr(user, "role", None):
        return NO_LIMITS
    cache = user.__dict__.setdefault("_yiri_field_limits", {})
    if record_type not in cache:
        hidden, read_only = user.role.field_limits(record_type)
        cache[record_type] = FieldLimits(hidden, read_only) if hidden or read_only else NO_LIMITS
    return cache[record_type]


def strip_hidden(limits: FieldLimits, schema: FormSchema, answers: dict) -> dict:
    """``answers`` without the fields (and subform row fields) ``limits`` hides."""
    if not limits.hidden:
        return answers
    out = {}
    for code, value in answers.items():
        if not limits.shows(code):
            continue
        f = schema.fields.get(code)
        if f is not None and f.type == FieldType.SUBFORM and isinstance(value, list):
            value = [{k: v for k, v in row.items() if k.startswith("_") or limits.shows(k, code)}
                     if isinstance(row, dict) else row for row in value]
        out[code] = value
    return out


def path_shown(limits: FieldLimits, path: str) -> bool:
    """Whether a change-log path (``field`` or ``subform/row id/field``) is one ``limits``
    lets the user read."""
    parts = path.split("/")
    if not limits.shows(parts[0]):
        return False
    return len(parts) != 3 or limits.shows(parts[2], parts[0])


def readable_sections(user, schema: FormSchema, record: Record | None = None) -> list[str]:
    """The sections ``user`` may read: of ``record`` when given (its shares and status
    apply), else of any record the role reaches."""
    if record is not None:
        allowed = rights_for(user, record).read
        return [s.code for s in schema.main_sections if s.code in allowed]
    return [
        s.code for s in schema.main_sections
        if section_right(user, schema.record_type, s.code) in (FormRight.READ, FormRight.WRITE)
    ]


def writable_sections(user, schema: FormSchema, record: Record | None = None) -> list[str]:
    """The sections ``user`` may write as a whole (of ``record`` when given)."""
    if record is not None:
        rights = rights_for(user, record)
        if not rights.can("edit"):
            return []
        return [s.code for s in schema.main_sections if s.code in rights.write]
    return [
        s.code for s in schema.main_sections
        if section_right(user, schema.record_type, s.code) == FormRight.WRITE
    ]


def visible_answers(user, schema: FormSchema, answers: dict, record: Record | None = None) -> dict:
    """Drop the answers of sections the user may not read, and the single fields the
    user's role may not read (``FieldLimits``)."""
    allowed = set(readable_sections(user, schema, record))
    return strip_hidden(field_limits(user, schema.record_type), schema, {
        code: value for code, value in answers.items()
        if code in schema.fields and schema.fields[code].section in allowed
    })


def check_writable(user, schema: FormSchema, codes, record: Record | None = None,
                   answers: dict | None = None, current: dict | None = None) -> None:
    """Refuse a write that touches a field the user may not write.

    With ``record``, the record's rights apply, down to the subform rows a share grants:
    ``answers`` are the submitted answers and ``current`` the record's, to tell a new row
    from an existing one.
    """
    if record is None:
        allowed = set(writable_sections(user, schema))
        refused = sorted(c for c in codes if c in schema.fields
                         and schema.fields[c].section not in allowed)
    else:
        rights = rights_for(user, record)
        refused = []
        for code in codes:
            f = schema.fields.get(code)
            if f is None:
                continue
            if f.section in rights.write and rights.can("edit"):
                continue
            if f.type != FieldType.SUBFORM or answers is None:
                refused.append(code)
                continue
            existing = {r.get("_id") for r in (current or {}).get(code) or []}
            for row in answers.get(code) or []:
                row_id = str(row.get("_id", "")) if isinstance(row, dict) else ""
                new = not row_id or row_id not in existing
                if not rights.may_write_row(code, f.section, row_id, new):
                    refused.append(code)
                    break
        if refused and not rights.is_open:
            raise PermissionDenied(_("Ce dossier n'est pas ouvert : rouvrez-le pour le modifier."))
    refused += _limited(user, schema, codes, answers, current)
    if refused:
        raise PermissionDenied(
            _("Vous ne pouvez pas modifier ces champs : %(fields)s.")
            % {"fields": ", ".join(schema.fields[c].label for c in sorted(set(refused)))}
        )


def _limited(user, schema: FormSchema, codes, answers: dict | None, current: dict | None) -> list[str]:
    """The submitted fields that the role's field limits forbid writing. A subform row
    field counts only if its submitted value differs from the stored one (a form re-posts
    the whole row it shows), and a read-only field only if it changes."""
    limits = field_limits(user, schema.record_type)
    if not limits:
        return []
    refused = []
    for code in codes:
        f = schema.fields.get(code)
        if f is None:
            continue
        if not limits.writes(code):
            unchanged = (current is not None and answers is not None
                         and f.type != FieldType.SUBFORM and answers.get(code) == current.get(code))
            if not unchanged:
                refused.append(code)
            continue
        if f.type != FieldType.SUBFORM or not answers:
            continue
        stored = {r.get("_id"): r for r in (current or {}).get(code) or [] if isinstance(r, dict)}
        for row in answers.get(code) or []:
            if not isinstance(row, dict):
                continue
            before = stored.get(str(row.get("_id", "")), {})
            if any(not limits.writes(k, code) and v != before.get(k)
                   for k, v in row.items() if not k.startswith("_")):
                refused.append(code)
                break
    return refused
