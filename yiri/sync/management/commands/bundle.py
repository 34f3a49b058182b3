"""``manage.py bundle``: synchronisation carried in a file (``sync.bundle``).

    manage.py bundle export --to NODE --out FILE [--quiet]
    manage.py bundle import FILE [--ack-out FILE] [--quiet]
    manage.py bundle ack --to NODE --out FILE [--quiet]

``NODE`` is a peer's node id, name or code. ``export`` writes what NODE has not
acknowledged; ``import`` checks and applies a bundle (or an acknowledgement) and, with
``--ack-out``, writes the acknowledgement to carry back; ``ack`` writes one at any time
(an acknowledgement that was lost). On a terminal a progress bar is shown.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError

from yiri.lib.commands import YiriCommand
from yiri.sync import bundle
from yiri.sync.bundle import BundleRefused

STAGES = {"export": "Écriture", "check": "Vérification", "apply": "Import"}


class Command(YiriCommand):
    help = "Paquets de synchronisation : un fichier à porter (clé USB, courriel) d'un nœud à l'autre."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        e = sub.add_parser("export", help="Écrire un paquet de ce que NODE n'a pas encore reçu.")
        e.add_argument("--to", required=True, help="Le nœud destinataire (identifiant, nom ou code).")
        e.add_argument("--out", required=True, help="Le fichier à écrire.")
        e.add_argument("--quiet", action="store_true")
        i = sub.add_parser("import", help="Vérifier et importer un paquet ou un accusé de réception.")
        i.add_argument("file")
        i.add_argument("--ack-out", help="Écrire l'accusé de réception à rapporter à l'expéditeur.")
        i.add_argument("--quiet", action="store_true")
        a = sub.add_parser("ack", help="Écrire un accusé de réception pour NODE.")
        a.add_argument("--to", required=True)
        a.add_argument("--out", required=True)
        a.add_argument("--quiet", action="store_true")

    def handle(self, *args, **options):
        self.quiet = options["quiet"]
        self.shown = False
        try:
            getattr(self, "do_" + options["action"])(options)
        except BundleRefused as exc:
            self._end_bar()
            raise CommandError(str(exc)) from exc

    def do_export(self, options):
        peer = bundle.find_peer(options["to"])
        out = Path(options["out"])
        written = bundle.export(peer, out, progress=self._bar)
        self._end_bar()
        self.stdout.write(bundle.describe_written(written, out))

    def do_import(self, options):
        result = bundle.import_bundle(options["file"], progress=self._bar)
        self._end_bar()
        self.stdout.write(bundle.describe(result))
        if options["ack_out"]:
            out = Path(options["ack_out"])
            self.stdout.write(bundle.describe_written(
                bundle.write_ack(result.peer, out, of=result.number), out))

    def do_ack(self, options):
        peer = bundle.find_peer(options["to"])
        out = Path(options["out"])
        self.stdout.write(bundle.describe_written(bundle.write_ack(peer, out), out))

    # ---------------------------------------------------------------- progress

    def _bar(self, stage: str, done: int, total: int) -> None:
        """A progress bar, on a terminal only (a log or a pipe gets the summary)."""
        if self.quiet or not sys.stdout.isatty():
            return
        width = 30
        filled = int(width * done / total) if total else width
        percent = int(100 * done / total) if total else 100
        sys.stdout.write(f"\r{STAGES.get(stage, stage):<13}[{'#' * filled}{'.' * (width - filled)}] "
                         f"{percent:3d} %")
        sys.stdout.flush()
        self.shown = True

    def _end_bar(self) -> None:
        if self.shown:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self.shown = False
