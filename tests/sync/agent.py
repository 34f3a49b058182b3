"""A Yiri node driven by a test: one long-lived process per node, commands on stdin.

Started with a node's environment (``tests.sync.nodes.Node.env``), it reads one JSON
command per line and answers one JSON line on the stdout it was started with (anything
else the code prints goes to stderr). Used by the property test of synchronisation
(``test_sync_properties``), which plays the network between the nodes itself:

- person actions (``act``): create, edit, subform rows, delete, refer, transfer and the
  answers to them, as one of the users of the test network, through the same service
  functions the pages call; a refusal (no right, a closed case…) is an answer, not an
  error;
- the exchange at the message level: ``request`` (the child's request to its parent, as
  ``transport.sync_with`` builds it), ``serve`` (the parent's answer,
  ``transport.serve_exchange``, HTTP authentication left to the transport tests) and
  ``take`` (the child applies an answer);
- what the test checks: ``digest``, ``state`` (records, rows, referrals, conflicts),
  ``log`` (the operations held, changes unsealed).

Every answer carries ``made``: the ids of the operations this node wrote meanwhile.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

FIELDS = ("name_nickname", "exploitation_place", "separation_place")  # free text, one sealed


def _setup():
    import django

    django.setup()


class Agent:
    def __init__(self) -> None:
        from django.conf import settings

        self.node = settings.YIRI_NODE_ID
        self.serial = 0

    # ------------------------------------------------------------------ helpers

    def user(self, name):
        from yiri.accounts.models import User

        return User.objects.get(username=name)

    def fresh(self, label: str) -> str:
        self.serial += 1
        return f"{label}-{os.environ.get('YIRI_NODE_CODE', '')}-{self.serial}"

    def cases_for(self, user):
        from yiri.cases.models import Case

        return list(Case.objects.visible_to(user).filter(deleted=False).order_by("created_at", "id"))

    @staticmethod
    def pick(items, index):
        if not items:
            raise LookupError("nothing to pick")
        return items[index % len(items)]

    @staticmethod
    def answers(case) -> dict:
        from yiri.cases.identity import read_answers
        from yiri.formconfig.schema import get_schema

        return read_answers(case, get_schema("case"))

    def live_rows(self, case) -> list[dict]:
        return [r for r in self.answers(case).get("services") or [] if not r.get("_deleted")]

    # ------------------------------------------------------------------ actions

    def act(self, action: str, user: str, pick: int = 0, pick2: int = 0, field: str = "",
            to: str = "", accept: bool = True) -> dict:
        from yiri.cases import services as cases
        from yiri.network.models import Agency
        from yiri.workflow import services as workflow

        person = self.user(user)
        if action == "create":
            answers = {"name_first": "Awa", "name_last": "Ouedraogo", "sex": "female", "age": 12,
                       "registration_date": "2026-01-15", "location_current": "BF-KAD",
                       "consent_for_services": True, "disclosure_other_orgs": True,
                       "name_nickname": self.fresh("nick")}
            if pick % 2:
                answers["services"] = [{"service_type": "health",
                                        "provider_name": self.fresh("prov")}]
            case = cases.create_record(person, "case", answers)
            return {"record": str(case.pk), "short_id": case.short_id}
        if action in ("respond", "complete", "revoke"):
            return self.answer_referral(action, person, pick, accept)
        case = self.pick(self.cases_for(person), pick)
        out = {"record": str(case.pk)}
        if action == "edit":
            cases.update_record(person, case, {field: self.fresh(field[:4])})
        elif action == "add_row":
            cases.update_record(person, case, {"services": [
                {"service_type": "education", "provider_name": self.fresh("prov")}]})
        elif action in ("edit_row", "delete_row"):
            row = self.pick(self.live_rows(case), pick2)
            out["row"] = row["_id"]
            change = ({"provider_name": self.fresh("prov")} if action == "edit_row"
                      else {"_deleted": True})
            cases.update_record(person, case, {"services": [{"_id": row["_id"], **change}]})
        elif action == "delete":
            cases.delete_record(person, case)
        elif action in ("refer", "transfer"):
            agency = Agency.objects.get(code=to)
            if action == "refer":
                rows = self.live_rows(case)
                row = rows[pick2 % len(rows)]["_id"] if rows and pick2 % 3 else None
                referral = workflow.refer(person, case, to_agency=agency, service_row_id=row)
            else:
                referral = workflow.transfer(person, case, to_agency=agency)
            out["referral"] = str(referral.pk)
        else:
            raise ValueError(f"unknown action {action}")
        return out

    def answer_referral(self, action, person, pick, accept) -> dict:
        from yiri.workflow import services as workflow
        from yiri.workflow.models import Referral, ReferralKind, ReferralStatus

        live = Referral.objects.filter(deleted=False).order_by("created_at", "id")
        if action == "respond":
            mine = [r for r in live.filter(status=ReferralStatus.IN_PROGRESS)
                    if workflow._is_recipient(person, r)]
        elif action == "complete":
            mine = [r for r in live.filter(kind=ReferralKind.REFERRAL,
                                           status__in=[ReferralStatus.IN_PROGRESS,
                                                       ReferralStatus.ACCEPTED])
                    if workflow._is_recipient(person, r)]
        else:
            mine = [r for r in live.filter(status__in=[ReferralStatus.IN_PROGRESS,
                                                       ReferralStatus.ACCEPTED])
                    if workflow._may_revoke(person, r)]
        referral = self.pick(mine, pick)
        if action == "respond":
            respond = (workflow.respond_referral if referral.kind == ReferralKind.REFERRAL
                       else workflow.respond_transfer)
            respond(person, referral, accept=accept, comment="" if accept else "non")
        elif action == "complete":
            workflow.complete_referral(person, referral)
        else:
            workflow.revoke_referral(person, referral)
        return {"referral": str(referral.pk), "record": str(referral.case_id)}

    # ----------------------------------------------------------------- exchange

    def request(self, limit: int) -> dict:
        from yiri.sync import scope, transport

        peer = scope.parent_peer()
        payload, push_upto, push_more = transport.client_request(peer, limit)
        return {"payload": payload, "push_upto": push_upto, "push_more": push_more,
                "pushed": len(payload["push"]["ops"])}

    def serve(self, child: str, payload: dict) -> dict:
        from yiri.sync import transport
        from yiri.sync.models import Peer

        response = transport.serve_exchange(Peer.objects.get(node_id=child), payload)
        return {"response": response}

    def take(self, response: dict) -> dict:
        from yiri.sync import scope, transport

        peer = scope.parent_peer()
        ack, received = transport.take_response(peer, response)
        return {"ack": ack, "received": received}

    def take_debug(self, response: dict) -> dict:
        """``take`` inside a transaction rolled back, with the foreign keys it breaks
        (SQLite checks them only at commit)."""
        from django.db import connection, transaction

        from yiri.sync import scope, transport

        peer = scope.parent_peer()
        with transaction.atomic():
            transport.take_response(peer, response)
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_key_check")
                broken = [list(map(str, row)) for row in cur.fetchall()]
            transaction.set_rollback(True)
        return {"broken": broken}

    def holdings(self, child: str) -> dict:
        """What this node believes its child ``child`` holds."""
        from yiri.sync.models import Holding

        return {"holdings": [[str(h.entity_id), h.since, h.left]
                             for h in Holding.objects.filter(peer_id=child)]}

    def pending(self) -> dict:
        """Whether this node has operations its parent has not acknowledged."""
        from yiri.sync import scope

        peer = scope.parent_peer()
        return {"pending": scope.pending_count(peer, peer.sent_upto) if peer else 0}

    # ------------------------------------------------------------------- checks

    def digest(self, organisations: str = "") -> dict:
        from yiri.sync import scope

        orgs = scope.agency_ids(organisations.split(",")) if organisations else None
        value, rows = scope.digest(orgs)
        return {"digest": value, "rows": rows}

    def digest_lines(self, organisations: str = "") -> dict:
        """The lines the digest hashes (to show where two nodes differ)."""
        from unittest import mock

        from yiri.sync import scope

        lines: list[str] = []

        class Collect:
            def update(self, data: bytes) -> None:
                lines.append(data.decode())

            def hexdigest(self) -> str:
                return ""

        orgs = scope.agency_ids(organisations.split(",")) if organisations else None
        with mock.patch.object(scope.hashlib, "sha256", Collect):
            scope.digest(orgs)
        return {"lines": lines}

    def state(self) -> dict:
        from yiri.cases.models import RECORD_MODELS, RecordShare
        from yiri.cases.services import META_FIELDS, flatten, meta_path
        from yiri.formconfig.schema import get_schema
        from yiri.sync import scope
        from yiri.sync.fieldclock import FieldClock
        from yiri.sync.log import plain
        from yiri.sync.models import Conflict, PendingPurge
        from yiri.workflow.models import Referral

        records = []
        for record_type, model in RECORD_MODELS.items():
            schema = get_schema(record_type)
            for r in model._base_manager.order_by("pk"):
                values = flatten(schema, self.answers(r) if record_type == "case" else {})
                for name in META_FIELDS:
                    if hasattr(r, name):
                        values[meta_path(name)] = plain(getattr(r, name))
                clock = FieldClock(r.field_clock)
                records.append({"type": record_type, "id": str(r.pk), "short_id": r.short_id,
                                "deleted": r.deleted, "agency": str(r.owning_agency_id),
                                "values": values,
                                "stamps": {p: clock.get(p) for p in values}})
        orgs = scope.local_scope()
        inside = scope.records_in_scope(((x["type"], x["id"]) for x in records), orgs)
        for x in records:
            x["in_scope"] = orgs is None or any(str(i) == x["id"] for i in inside)
        referrals = [{"id": str(r.pk), "case": str(r.case_id), "kind": r.kind, "status": r.status}
                     for r in Referral._base_manager.order_by("pk")]
        shares = [{"id": str(s.pk), "record": str(s.record_id), "active": s.active,
                   "agency": str(s.agency_id)} for s in RecordShare._base_manager.order_by("pk")]
        conflicts = [{"entity_id": str(c.entity_id), "path": c.path, "loser_stamp": c.loser_stamp,
                      "winner_stamp": c.winner_stamp, "values": c.values}
                     for c in Conflict.objects.all()]
        pending = [str(p.record_id) for p in PendingPurge.objects.all()]
        return {"records": records, "referrals": referrals, "shares": shares,
                "conflicts": conflicts, "pending_purges": pending}

    def log(self) -> dict:
        from yiri.cases import identity
        from yiri.sync.models import Operation

        ops = []
        for op in Operation.objects.order_by("seq"):
            changes = dict(op.changes or {})
            changes.update(identity.changes_of(op))
            ops.append({"id": str(op.id), "origin": op.origin_node, "hlc": op.hlc,
                        "entity": op.entity, "entity_id": str(op.entity_id),
                        "record_id": str(op.record_id) if op.record_id else None,
                        "changes": changes})
        return {"ops": ops}


def main() -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # only answers on the real stdout
    _setup()
    from django.conf import settings
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import connection
    from django.http import Http404

    from yiri.cases.services import StaleRecord
    from yiri.formconfig.validation import AnswersInvalid
    from yiri.sync.models import Operation

    refusals = (PermissionDenied, ValidationError, Http404, StaleRecord, AnswersInvalid, LookupError)
    agent = Agent()
    out.write(json.dumps({"ok": True, "node": settings.YIRI_NODE_ID}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        name = command.pop("cmd")
        if name == "quit":
            break
        before = Operation.objects.filter(origin_node=agent.node).order_by("-counter").values_list(
            "counter", flat=True).first() or 0
        try:
            answer = {"ok": True, **getattr(agent, name)(**command)}
        except refusals as exc:
            answer = {"ok": False, "refused": f"{exc.__class__.__name__}: {exc}"}
        except Exception as exc:  # a crash is a finding: the test shows it
            answer = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}",
                      "traceback": traceback.format_exc()}
        answer["made"] = [str(i) for i in Operation.objects.filter(
            origin_node=agent.node, counter__gt=before).values_list("id", flat=True)]
        out.write(json.dumps(answer, default=str) + "\n")
    connection.close()


if __name__ == "__main__":
    main()
