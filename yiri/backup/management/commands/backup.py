"""``manage.py backup``: an encrypted backup of this node, checked, with rotation.

    manage.py backup [--out DIR] [--keep N] [--every 24h] [--no-verify]
    manage.py backup verify FILE [--key-file node_keys]
    manage.py backup facts [--snapshot ID]   (internal: counts and digest of this database)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiri.backup import dumps, services
from yiri.backup.archive import BackupError
from yiri.sync.identity import IdentityError


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} Mo" if n >= 100_000 else f"{n / 1000:.1f} ko"


class Command(BaseCommand):
    help = ("Sauvegarde chiffrée de ce nœud (base de données et fichiers joints), vérifiée, "
            "avec rotation ; « backup verify FICHIER » vérifie une sauvegarde.")

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=["verify", "facts"],
                            help="verify FICHIER : vérifier une sauvegarde.")
        parser.add_argument("file", nargs="?", help="La sauvegarde à vérifier.")
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
