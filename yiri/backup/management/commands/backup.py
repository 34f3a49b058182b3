"""``manage.py backup``: an encrypted backup of this node, checked, with rotation.

    manage.py backup [--out DIR] [--keep N] [--every 24h] [--no-verify]
    manage.py backup verify FILE [--key-file node_keys]
    manage.py backup send [FILE]          (to the parent node, over the network)
    manage.py backup receive FILE [--keys keys.ykeys]   (a child's backup, carried here)
    manage.py backup facts [--snapshot ID]   (internal: counts and digest of this database)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import CommandError

from yiri.backup import dumps, services
from yiri.backup.archive import BackupError
from yiri.lib.commands import YiriCommand
from yiri.sync.identity import IdentityError


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} Mo" if n >= 100_000 else f"{n / 1000:.1f} ko"


class Command(YiriCommand):
    help = ("Sauvegarde chiffrée de ce nœud (base de données et fichiers joints), vérifiée, "
            "avec rotation ; « backup verify FICHIER » vérifie une sauvegarde.")

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["verify", "send", "receive", "facts"],
                            help="verify FICHIER : vérifier une sauvegarde ; send [FICHIER] : "
                                 "l'envoyer au nœud parent ; receive FICHIER : garder ici la "
                                 "sauvegarde d'un nœud enfant, apportée sur une clé USB.")
        parser.add_argument("file", nargs="?", help="La sauvegarde à vérifier, envoyer ou "
                                                    "recevoir.")
        parser.add_argument("--keys", help="receive : la copie des clés (keys.ykeys) apportée "
                                           "avec la sauvegarde (par défaut : celle qui est à "
                                           "côté du fichier).")
        parser.add_argument("--out", help="Dossier des sauvegardes (par défaut : "
                                          "<dossier de données>/backups).")
        parser.add_argument("--keep", type=int, default=0,
                            help="Ne garder que les N sauvegardes les plus récentes de ce nœud.")
        parser.add_argument("--every", help="Recommencer à cet intervalle (24h, 12h…).")
        parser.add_argument("--no-verify", action="store_true",
                            help="Ne pas vérifier la sauvegarde après l'avoir écrite.")
        parser.add_argument("--key-file", help="verify : fichier node_keys à utiliser (celui "
                                               "du nœud parent pour la sauvegarde d'un bureau).")
        parser.add_argument("--snapshot", default="", help="(interne)")

    def handle(self, *args, **options):
        try:
            if options["action"] == "facts":
                self.stdout.write(json.dumps(dumps.facts_here(options["snapshot"])))
            elif options["action"] == "verify":
                self.do_verify(options)
            elif options["action"] == "send":
                self.do_send(options)
            elif options["action"] == "receive":
                self.do_receive(options)
            else:
                self.do_backup(options)
        except (BackupError, IdentityError) as exc:
            raise CommandError(str(exc)) from exc

    def do_verify(self, options):
        if not options["file"]:
            raise CommandError("Indiquez la sauvegarde à vérifier : manage.py backup verify FICHIER")
        keys = services.load_keys(Path(options["key_file"])) if options["key_file"] else None
        checked = services.verify(Path(options["file"]), keys)
        self._report(checked)
        if checked.differences:
            raise CommandError("Sauvegarde NON conforme : la base restaurée diffère de son "
                               "manifeste.")

    def do_send(self, options):
        from yiri.backup import children

        path = Path(options["file"]) if options["file"] else children.latest_own(
            Path(options["out"]) if options["out"] else None)
        answer = children.send(path)
        if not answer.get("ok"):
            for line in answer.get("differences") or []:
                self.stderr.write(f"  différence : {line}")
            raise CommandError("Le nœud parent a reçu la sauvegarde mais elle ne se vérifie pas : "
                               "refaites une sauvegarde (manage.py backup) et renvoyez-la.")
        self.stdout.write(f"Sauvegarde du {answer.get('created', '')} envoyée au nœud parent, "
                          "qui l'a vérifiée et la garde.")

    def do_receive(self, options):
        from yiri.backup import children
        from yiri.cases import keycopy

        if not options["file"]:
            raise CommandError("Indiquez la sauvegarde apportée : manage.py backup receive FICHIER")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        keys = Path(options["keys"]) if options["keys"] else path.parent / keycopy.COPY_NAME
        received = children.receive(path, keys.read_bytes() if keys.is_file() else None)
        if not received.ok:
            for line in received.differences:
                self.stderr.write(f"  différence : {line}")
            raise CommandError("Sauvegarde gardée mais NON conforme : demandez au bureau d'en "
                               "refaire une.")
        self.stdout.write(f"Sauvegarde du nœud {received.node_id} (faite le {received.created}) "
                          f"vérifiée et gardée : {received.path}")

    def _report(self, checked: services.Checked) -> None:
        m = checked.unpacked.manifest
        if checked.differences:
            for line in checked.differences:
                self.stderr.write(f"  différence : {line}")
            return
        self.stdout.write(
            f"Sauvegarde vérifiée : OK — nœud {m['node_id']}, faite le {m['created']}, "
            f"{m['rows']} ligne(s) synchronisées, empreinte {m['digest'][:16]}…, "
            f"{m['attachments']['files']} fichier(s) joint(s).")

    def do_backup(self, options):
        if options["keep"] < 0:
            raise CommandError("--keep doit être positif.")
        every = None
        if options["every"]:
            from yiri.sync.management.commands.sync import _duration

            every = _duration(options["every"])
        folder = Path(options["out"]) if options["out"] else None
        while True:
            try:
                self._once(folder, options)
            except (BackupError, IdentityError) as exc:
                if every is None:
                    raise
                self.stderr.write(f"Sauvegarde échouée : {exc}")
            if every is None:
                return
            time.sleep(every)

    def _once(self, folder, options) -> None:
        tty = sys.stderr.isatty()

        def progress(written: int) -> None:
            if tty and written % (1 << 20) < (1 << 16):
                sys.stderr.write(f"\rSauvegarde : {_size(written)} écrits")
                sys.stderr.flush()

        made = services.make(folder, progress=progress if tty else None)
        if tty:
            sys.stderr.write("\n")
        self.stdout.write(f"Sauvegarde écrite : {made.path} ({_size(made.size)}), chiffrée pour "
                          + " et ".join("ce nœud" if r["role"] == "self"
                                        else f"le nœud parent {r['node_id']}"
                                        for r in made.header["recipients"]) + ".")
        if options["no_verify"]:
            services.record(made.header, made.size, verified=False, ok=False)
        else:
            checked = services.verify(made.path)
            self._report(checked)
            if checked.differences:
                raise BackupError("La sauvegarde écrite ne se relit pas à l'identique : "
                                  "ne comptez pas sur elle.")
        if options["keep"]:
            for gone in services.rotate(folder, options["keep"]):
                self.stdout.write(f"Ancienne sauvegarde supprimée : {gone.name}")
