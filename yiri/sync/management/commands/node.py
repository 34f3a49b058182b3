"""``manage.py node``: this node's identity, enrolment under a parent, revocation.

    manage.py node init --kind office|relay|national --name NAME
    manage.py node show [--json]
    manage.py node enrol-request --out FILE [--url URL]              (on the child)
    manage.py node enrol FILE --organisations A,B --out GRANT --fingerprint FP [--url URL]
                                                                      (on the parent)
    manage.py node join GRANT --fingerprint FP [--url URL]           (on the child)
    manage.py node revoke NODE [--reason TEXT]                        (on the parent)

See ``yiri/sync/enrol.py`` for the three steps and what each checks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.management.base import CommandError

from yiri.lib.commands import YiriCommand
from yiri.sync import enrol
from yiri.sync.enrol import EnrolError


def _read(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise CommandError(f"Fichier introuvable : {path}")
    return p.read_bytes()[: enrol.MAX_FILE + 1]


def _write(path: str, text: str) -> None:
    """Written whole or not at all, never over an existing file."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(f"Le fichier {path} existe déjà : choisissez un autre nom.") from None
    except OSError as exc:
        raise CommandError(f"Impossible d'écrire {path} : {exc.strerror}.") from exc
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


class Command(YiriCommand):
    help = "Identité de ce nœud, enrôlement sous un nœud parent, révocation d'un nœud enfant."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        i = sub.add_parser("init", help="Créer les clés de ce nœud (une fois).")
        i.add_argument("--kind", required=True, choices=enrol.KINDS)
        i.add_argument("--name", required=True)
        s = sub.add_parser("show", help="Identifiant, type, code, clés publiques, empreinte.")
        s.add_argument("--json", action="store_true")
        r = sub.add_parser("enrol-request", help="Écrire la demande d'enrôlement (nœud enfant).")
        r.add_argument("--out", required=True)
        r.add_argument("--url", default="", help="Adresse de ce nœud (facultative).")
        e = sub.add_parser("enrol", help="Accepter une demande d'enrôlement (nœud parent).")
        e.add_argument("file")
        e.add_argument("--organisations", required=True,
                       help="Codes des organisations du nœud enfant, séparés par des virgules.")
        e.add_argument("--out", required=True, help="Fichier de l'accord à remettre au nœud enfant.")
        e.add_argument("--fingerprint", default="",
                       help="L'empreinte de la demande, confirmée au téléphone.")
        e.add_argument("--url", default="", help="L'adresse de ce nœud, que l'enfant appellera.")
        j = sub.add_parser("join", help="Rejoindre le nœud parent avec son accord (nœud enfant).")
        j.add_argument("file")
        j.add_argument("--fingerprint", default="",
                       help="L'empreinte du nœud parent, confirmée au téléphone.")
        j.add_argument("--url", default="", help="Adresse du nœud parent, si l'accord n'en donne pas.")
        v = sub.add_parser("revoke", help="Révoquer un nœud enfant.")
        v.add_argument("node", help="Identifiant, code ou nom du nœud enfant.")
        v.add_argument("--reason", default="")

    def handle(self, *args, **options):
        try:
            getattr(self, "do_" + options["action"].replace("-", "_"))(options)
        except EnrolError as exc:
            raise CommandError(str(exc)) from exc

    def do_init(self, options):
        ident = enrol.init_node(options["kind"], options["name"])
        self.stdout.write(f"Nœud initialisé ({options['kind']}, « {options['name'].strip()} »). "
                          f"Empreinte : {ident.fingerprint}\nGardez une copie de sécurité du "
                          "dossier de données : les clés sont l'identité du nœud.")

    def do_show(self, options):
        info = enrol.describe()
        if options["json"]:
            self.stdout.write(json.dumps(info, ensure_ascii=False))
            return
        labels = [("node_id", "Identifiant"), ("kind", "Type"), ("name", "Nom"), ("code", "Code"),
                  ("sign_key", "Clé de signature"), ("box_key", "Clé de chiffrement"),
                  ("fingerprint", "Empreinte")]
        for key, label in labels:
            self.stdout.write(f"{label} : {info[key]}")

    def do_enrol_request(self, options):
        text = enrol.make_request(options["url"])
        _write(options["out"], text)
        fp = enrol.read_request(text).fingerprint
        self.stdout.write(f"Demande écrite : {options['out']}\nEmpreinte de ce nœud, à lire "
                          f"au téléphone à l'opérateur du nœud parent : {fp}")

    def do_enrol(self, options):
        out = Path(options["out"])
        if out.exists():
            raise CommandError(f"Le fichier {out} existe déjà : choisissez un autre nom.")
        if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
            raise CommandError(f"Dossier introuvable ou protégé en écriture : {out.parent}")
        codes = [c for c in options["organisations"].split(",") if c.strip()]
        peer, grant = enrol.enrol(_read(options["file"]), codes, options["fingerprint"],
                                  url=options["url"])
        _write(options["out"], grant)
        mine = enrol.load_identity().fingerprint
        self.stdout.write(f"Nœud enfant enrôlé : {peer.name} ({peer.node_id}), code {peer.code}, "
                          f"organisations {', '.join(peer.organisations)}.\nAccord écrit : "
                          f"{options['out']} (à remettre au nœud enfant).\nEmpreinte de ce nœud, à "
                          f"lire au téléphone à l'opérateur du nœud enfant : {mine}")

    def do_join(self, options):
        peer = enrol.join(_read(options["file"]), options["fingerprint"], url=options["url"])
        from yiri.network.services import node_code

        self.stdout.write(f"Nœud parent enregistré : {peer.name or peer.node_id} ({peer.url}). "
                          f"Code de ce nœud : {node_code()}. Organisations : "
                          f"{', '.join(peer.organisations)}.\nPremière synchronisation : "
                          "manage.py sync run")
        host = peer.url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        if peer.url.startswith("http://") and host not in ("127.0.0.1", "localhost"):
            self.stdout.write("Attention : adresse en http://. Les échanges restent signés et "
                              "chiffrés, mais utilisez https:// en production.")

    def do_revoke(self, options):
        peer = enrol.revoke(options["node"], options["reason"])
        self.stdout.write(f"Nœud révoqué : {peer.name or peer.node_id} (code {peer.code}). Ses "
                          "échanges sont refusés ; les nœuds au-dessus l'apprendront à la "
                          "prochaine synchronisation.")
