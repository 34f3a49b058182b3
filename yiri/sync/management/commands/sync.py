"""``manage.py sync``: peers, exchanges, status and digest.

    manage.py sync add-parent --node-id ID --url URL --secret-file FILE --organisations A,B
    manage.py sync add-child --node-id ID --organisations A,B [--secret-file FILE] [--name N]
    manage.py sync run [PEER] [--every 15m] [--chunk 500]
    manage.py sync forward RUN    (started by the server: a relay passing its children's changes on)
    manage.py sync status
    manage.py sync vector         (per origin node: highest operation number held, and gaps)
    manage.py sync digest [--organisations A,B]
"""

from __future__ import annotations

import re
import secrets
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiri.network.services import node_code, set_node_code
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


def _next_code() -> str:
    """The parent's code and the next free two-digit suffix: unique in the network because
    every parent's code is (the national node's comes from its installation)."""
    mine = node_code()
    taken = set(Peer.objects.exclude(code="").values_list("code", flat=True))
    for n in range(1, 100):
        code = f"{mine}{n:02d}"
        if code not in taken:
            return code
    raise CommandError("Plus de code libre : attribuez-en un avec --code.")


def _secret(options) -> tuple[str, bool]:
    if options.get("secret_file"):
        path = Path(options["secret_file"])
        if not path.is_file():
            raise CommandError(f"Fichier du secret introuvable : {path}")
        value = path.read_text().strip()
        if len(value) < 32:
            raise CommandError("Le secret partagé doit compter au moins 32 caractères.")
        return value, False
    return secrets.token_hex(32), True


class Command(BaseCommand):
    help = "Synchronisation avec les nœuds parent et enfants."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("add-parent", help="Déclarer le nœud parent (où ce nœud envoie).")
        p.add_argument("--node-id", required=True)
        p.add_argument("--url", required=True)
        p.add_argument("--secret-file", required=True)
        p.add_argument("--organisations", required=True,
                       help="Codes des organisations de ce nœud (sa portée), séparés par des virgules.")
        p.add_argument("--name", default="")
        p.add_argument("--code", default="",
                       help="Le code que le nœud parent a attribué à ce nœud (préfixe des numéros).")
        c = sub.add_parser("add-child", help="Déclarer un nœud enfant (qui appelle celui-ci).")
        c.add_argument("--node-id", required=True)
        c.add_argument("--organisations", required=True)
        c.add_argument("--secret-file")
        c.add_argument("--name", default="")
        c.add_argument("--code", default="", help="Code à attribuer (par défaut : le suivant libre).")
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

    # -------------------------------------------------------------------- peers

    def do_add_parent(self, options):
        secret, _ = _secret(options)
        if Peer.objects.filter(role=PeerRole.PARENT).exclude(node_id=options["node_id"]).exists():
            raise CommandError("Ce nœud a déjà un nœud parent.")
        if options["code"]:
            if not re.fullmatch(r"[A-Z0-9]{2,12}", options["code"]):
                raise CommandError("Code de nœud invalide : 2 à 12 lettres majuscules ou chiffres.")
            try:
                set_node_code(options["code"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        Peer.objects.update_or_create(node_id=options["node_id"], defaults={
            "role": PeerRole.PARENT, "url": options["url"], "secret": secret,
            "organisations": _codes(options["organisations"]), "name": options["name"]})
        self.stdout.write(f"Nœud parent enregistré : {options['node_id']} ({options['url']}).")

    def do_add_child(self, options):
        secret, generated = _secret(options)
        codes = _codes(options["organisations"])
        found = set(scope.agency_ids(codes))
        if codes and len(found) != len(codes):
            raise CommandError("Organisation inconnue dans --organisations : vérifiez les codes.")
        existing = Peer.objects.filter(node_id=options["node_id"]).first()
        code = options["code"] or (existing.code if existing and existing.code else _next_code())
        mine = node_code()
        if not code.startswith(mine) or code == mine or not re.fullmatch(r"[A-Z0-9]{2,12}", code):
            raise CommandError(f"Le code d'un nœud enfant commence par celui de ce nœud ({mine}) "
                               "et compte au plus 12 lettres majuscules ou chiffres.")
        if Peer.objects.filter(code=code).exclude(node_id=options["node_id"]).exists():
            raise CommandError(f"Le code {code} est déjà attribué à un autre nœud enfant.")
        Peer.objects.update_or_create(node_id=options["node_id"], defaults={
            "role": PeerRole.CHILD, "secret": secret, "organisations": codes,
            "name": options["name"], "code": code})
        self.stdout.write(f"Nœud enfant enregistré : {options['node_id']} ({', '.join(codes)}), "
                          f"code {code} (à donner à add-parent --code).")
        if generated:
            self.stdout.write("Secret partagé (à copier dans un fichier sur le nœud enfant, "
                              f"il ne sera plus affiché) :\n{secret}")

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
            raise CommandError("Aucun nœud parent enregistré : manage.py sync add-parent …")
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
                          f"Conflits à résoudre : {Conflict.objects.filter(resolved=False).count()}. "
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
