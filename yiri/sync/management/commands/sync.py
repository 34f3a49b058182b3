"""``manage.py sync``: exchanges, status and digest (peers come from ``manage.py node``).

    manage.py sync run [PEER] [--every 15m] [--chunk 500]
    manage.py sync forward RUN    (started by the server: a relay passing its children's changes on)
    manage.py sync status
    manage.py sync vector         (per origin node: highest operation number held, and gaps)
    manage.py sync digest [--organisations A,B]
"""

from __future__ import annotations

import re
import sys
import time

from django.core.management.base import CommandError
from django.utils import timezone

from yiri.lib.commands import YiriCommand
from yiri.sync import scope
from yiri.sync.models import Conflict, Operation, Peer, PeerRole, Quarantine
from yiri.sync.transport import DEFAULT_CHUNK, Progress, SyncError, sync_with


def _codes(text: str) -> list[str]:
    return sorted({c.strip() for c in (text or "").split(",") if c.strip()})


def _duration(text: str) -> int:
    m = re.fullmatch(r"(\d+)([smh]?)", text or "")
    if not m:
        raise CommandError("Durée invalide : écrivez par exemple 15m, 1h ou 90s.")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


class Command(YiriCommand):
    help = "Synchronisation avec les nœuds parent et enfants."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("run", help="Échanger avec le nœud parent.")
        r.add_argument("peer", nargs="?")
        r.add_argument("--every", help="Recommencer à cet intervalle (15m, 1h…).")
        r.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
        r.add_argument("--timeout", type=float, default=60)
        r.add_argument("--quiet", action="store_true")
        f = sub.add_parser("forward", help="Transmettre au nœud parent (lancé par le serveur "
                                           "quand un nœud enfant envoie des changements).")
        f.add_argument("run_id", type=int)
        sub.add_parser("status", help="État des échanges avec chaque nœud pair.")
        sub.add_parser("vector", help="Vecteur de versions : par nœud d'origine, le dernier "
                                      "numéro d'opération détenu et les manquants.")
        d = sub.add_parser("digest", help="Empreinte de l'état des fiches (pour comparer deux nœuds).")
        d.add_argument("--organisations", default="")
        d.add_argument("--parts", action="store_true", help="Une empreinte par table, pour trouver l'écart.")

    def handle(self, *args, **options):
        getattr(self, "do_" + options["action"].replace("-", "_"))(options)

    # ---------------------------------------------------------------------- run

    def do_forward(self, options):
        from yiri.sync import runs

        runs.execute(options["run_id"])

    def do_run(self, options):
        peers = Peer.objects.filter(role=PeerRole.PARENT, revoked=False)
        if options["peer"]:
            peers = peers.filter(node_id=options["peer"]) | peers.filter(name=options["peer"])
        peers = list(peers)
        if not peers:
            raise CommandError("Aucun nœud parent enregistré : manage.py node join …")
        every = _duration(options["every"]) if options["every"] else None
        while True:
            failed = False
            for peer in peers:
                try:
                    state = sync_with(peer, chunk=options["chunk"], timeout=options["timeout"],
                                      progress=None if options["quiet"] else self._bar)
                except SyncError as exc:
                    failed = True
                    self.stderr.write(f"\n{peer}: {exc}")
                    continue
                for notice in state.notices:  # shown even with --quiet: the operator must know
                    self.stdout.write(("" if options["quiet"] else "\n") + f"{peer}: {notice}")
                if not options["quiet"]:
                    self.stdout.write(
                        f"\n{peer}: {state.sent} envoyée(s), {state.received} reçue(s), "
                        f"{state.exchanges} échange(s), {state.bytes_out + state.bytes_in} octets.")
            if every is None:
                if failed:
                    raise CommandError("La synchronisation n'a pas abouti : voir ci-dessus.")
                return
            time.sleep(every)

    def _bar(self, state: Progress) -> None:
        total = max(state.to_send, state.sent) + max(state.to_receive, state.received)
        done = state.sent + state.received
        width = 30
        filled = int(width * done / total) if total else width
        sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                         f"↑ {state.sent}/{max(state.to_send, state.sent)} "
                         f"↓ {state.received}/{max(state.to_receive, state.received)}")
        sys.stdout.flush()

    # ------------------------------------------------------------------- status

    def do_status(self, options):
        now = timezone.now()
        for peer in Peer.objects.all():
            pending = scope.pending_count(peer, peer.sent_upto) if peer.role == PeerRole.PARENT else None
            seen = (f"il y a {int((now - peer.last_contact).total_seconds() // 60)} min"
                    if peer.last_contact else "jamais")
            if peer.last_contact and peer.last_way:
                seen += f" ({peer.get_last_way_display()})"
            self.stdout.write(f"{peer.get_role_display()} {peer.name or peer.node_id}: "
                              f"dernier contact {seen}"
                              + (f", {pending} opération(s) à envoyer" if pending is not None else "")
                              + (" — RÉVOQUÉ" if peer.revoked else ""))
            if peer.last_error:
                self.stdout.write(f"  dernière erreur : {peer.last_error}")
            if peer.notice:
                when = timezone.localtime(peer.notice_at).strftime("%d/%m/%Y %H:%M") \
                    if peer.notice_at else ""
                self.stdout.write(f"  avis ({when}) : {peer.notice}")
        self.stdout.write(f"Journal : {Operation.objects.count()} opération(s). "
                          f"Conflits à résoudre : {Conflict.objects.filter(resolved=False, dormant=False).count()}. "
                          f"En quarantaine : {Quarantine.objects.count()}.")

    def do_digest(self, options):
        codes = _codes(options["organisations"])
        orgs = scope.agency_ids(codes) if codes else None
        if codes and len(orgs) != len(codes):
            raise CommandError("Organisation inconnue dans --organisations.")
        parts: dict | None = {} if options["parts"] else None
        value, count = scope.digest(orgs, parts)
        self.stdout.write(f"{value} {count}")
        for entity, (part, n) in sorted((parts or {}).items()):
            self.stdout.write(f"  {entity}: {part} {n}")

    def do_vector(self, options):
        vector = scope.version_vector()
        if not vector:
            self.stdout.write("Journal vide.")
        for origin, (highest, held) in sorted(vector.items()):
            missing = highest - held
            self.stdout.write(f"{origin} {highest}" + (f" ({missing} manquante(s))" if missing else ""))
