"""The seeded roles, as one table a person can read (modelled on the CPIMS+ roles).

A role's scope says which records it reaches; its actions say what it may do with them;
its form rights say which form sections it reads or writes. ``seed_roles`` creates the
roles of this table that are missing; administrators may then change roles in the admin,
and a later change of this table reaches existing databases only through a data migration
(see network/reference.py) that leaves roles an administrator edited alone.
"""

from __future__ import annotations

from yiri.sync.models import seeded_id

from .models import Action as A
from .models import FormRight, Role, Scope
from .models import SystemAction as S

_CASE_WORK = [A.VIEW, A.CREATE, A.EDIT, A.REFER, A.TRANSFER, A.REQUEST_ASSESSMENT,
              A.REQUEST_CASE_PLAN, A.REQUEST_CLOSURE]
_SUPERVISION = _CASE_WORK + [A.ASSIGN, A.APPROVE_ASSESSMENT, A.APPROVE_CASE_PLAN,
                             A.APPROVE_CLOSURE, A.CLOSE, A.REOPEN, A.EXPORT, A.CONSENT_OVERRIDE]
_ALL_RECORD_ACTIONS = [a.value for a in A]
# Raised by a data migration that changes the seeded roles; this table holds its result.
# 2: resolve_conflicts (supervisors, relay-cell data managers, administrators) and view_sync
# (relay-cell data managers, national coordination, administrators).
# 3: view_audit for supervisors (a case's audit trail, on its page).
# 4: manage_nodes (relay-cell data managers, national coordination, administrators).
# 5: field rights: the service provider no longer reads the child's identity numbers,
#    address and phone, nor the free-text details of the protection concerns.
# 6: erase_records (supervisors, relay-cell data managers, national coordination,
#    administrators): request and approve erasures, four eyes (``cases/erasure.py``).
# 7: find_duplicates (relay-cell data managers, national coordination, administrators):
#    run the batch deduplication over the cases of their scope (``matching.jobs``).
ROLES_VERSION = 7
_RECORD_TYPES = ["case", "incident", "tracing_request"]


def _same_for_all(actions: list) -> dict[str, list[str]]:
    return {rt: [str(a) for a in actions] for rt in _RECORD_TYPES}


_RW = {rt: {"*": FormRight.WRITE} for rt in _RECORD_TYPES}
_R = {rt: {"*": FormRight.READ} for rt in _RECORD_TYPES}

# code: (French name, English name, scope, actions per record type, system actions, form rights)
SEEDED_ROLES: dict[str, tuple] = {
    "administrator": ("Administrateur", "Administrator", Scope.ALL,
                      _same_for_all(_ALL_RECORD_ACTIONS), [s.value for s in S], _RW),
    "manager": ("Superviseur / gestionnaire de cas", "Manager / supervisor", Scope.GROUP,
                _same_for_all(_SUPERVISION), [S.VIEW_REPORTS, S.RESOLVE_CONFLICTS, S.VIEW_AUDIT,
                                              S.ERASE_RECORDS],
                _RW),
    "case_worker": ("Travailleur social", "Case worker", Scope.OWN,
                    _same_for_all(_CASE_WORK), [], _RW),
    "service_provider": (
        "Prestataire de services", "Service provider", Scope.OWN,
        {"case": [A.VIEW, A.EDIT]}, [],
        {"case": {"*": FormRight.NONE, "basic_identity": FormRight.READ,
                  "consent": FormRight.READ, "protection_concerns": FormRight.READ,
                  "services_section": FormRight.WRITE, "followup": FormRight.WRITE}},
    ),
    "relay_data_manager": ("Gestionnaire de données de la cellule de relais",
                           "Relay-cell data manager", Scope.CELL,
                           _same_for_all([A.VIEW, A.EXPORT, A.IMPORT]),
                           [S.VIEW_REPORTS, S.RESOLVE_CONFLICTS, S.VIEW_SYNC, S.MANAGE_NODES,
                            S.ERASE_RECORDS, S.FIND_DUPLICATES], _R),
    "national_coordinator": ("Coordination nationale", "National coordinator", Scope.ALL,
                             _same_for_all([A.VIEW, A.EXPORT]),
                             [S.VIEW_REPORTS, S.VIEW_AUDIT, S.MANAGE_NETWORK, S.VIEW_SYNC,
                              S.MANAGE_NODES, S.ERASE_RECORDS, S.FIND_DUPLICATES], _R),
    "partner_viewer": ("Partenaire (indicateurs agrégés)", "Partner viewer (aggregates only)",
                       Scope.NONE, {}, [S.VIEW_REPORTS], {}),
}


# Single fields a seeded role may not read although it reads their section
# (``Role.field_rights``): a service provider delivers a service, it needs to know who the
# child is and what the concern is, not where the child lives nor how to reach the family.
SEEDED_FIELD_RIGHTS: dict[str, dict[str, dict[str, str]]] = {
    "service_provider": {"case": {
        "national_id_no": FormRight.NONE, "other_id_no": FormRight.NONE,
        "address_current": FormRight.NONE, "phone": FormRight.NONE,
        "other_concern_details": FormRight.NONE, "concern_details.concern_notes": FormRight.NONE,
    }},
}


def seeded_role_values(code: str) -> dict:
    """The field values of a seeded role, as stored (plain strings, for JSON and comparisons)."""
    name_fr, name_en, scope, actions, system, rights = SEEDED_ROLES[code]
    permissions = {rt: [str(a) for a in acts] for rt, acts in actions.items()}
    if system:
        permissions["system"] = [str(s) for s in system]
    return {
        "name_fr": name_fr, "name_en": name_en, "scope": str(scope), "permissions": permissions,
        "form_rights": {rt: {k: str(v) for k, v in r.items()} for rt, r in rights.items()},
        "field_rights": {rt: {k: str(v) for k, v in r.items()}
                         for rt, r in SEEDED_FIELD_RIGHTS.get(code, {}).items()},
    }


def seed_roles() -> dict[str, Role]:
    """Create the seeded roles that are missing; a role that exists is never changed."""
    return {
        code: Role.objects.get_or_create(
            code=code, defaults={"id": seeded_id("role", code), **seeded_role_values(code)})[0]
        for code in SEEDED_ROLES
    }


def change_actions_if_unchanged(role, record_type: str, old: list[str], new: list[str]) -> bool:
    """For a data migration: give ``role`` (a historical model row) the actions ``new`` on
    ``record_type`` only if it still has exactly the previously shipped ``old`` ones.

    A role whose actions an administrator changed is left alone. Returns whether it changed.
    """
    current = role.permissions.get(record_type, [])
    if sorted(current) != sorted(old) or sorted(current) == sorted(new):
        return False
    role.permissions = {**role.permissions, record_type: list(new)}
    role.save(update_fields=["permissions"])
    return True
