"""``manage.py load_demo``: a demo network with invented organisations, users and cases."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from yiri.accounts.models import User
from yiri.cases.models import Case
from yiri.demo.directory import create_directory
from yiri.demo.loader import ensure_reference_data, load_cases, wipe_case_data
from yiri.demo.network import create_network, demo_password, workers_per_agency
from yiri.lib.commands import YiriCommand

MAX_LISTED = 60


class Command(YiriCommand):
    help = (
        "Crée un réseau de démonstration (8 organisations, 2 cellules de relais, un utilisateur "
        "par rôle) et N dossiers fictifs mais plausibles, reproductibles pour une graine donnée."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=2000, help="nombre de dossiers (2000)")
        parser.add_argument("--seed", type=int, default=42, help="graine du générateur (42)")
        parser.add_argument("--reset", action="store_true",
                            help="efface d'abord tous les dossiers (DEBUG ou --yes-really)")
        parser.add_argument("--yes-really", action="store_true",
                            help="autorise --reset hors mode DEBUG")
        parser.add_argument("--if-empty", action="store_true",
                            help="ne rien faire si la base contient déjà des dossiers")
        parser.add_argument("--batch-size", type=int, default=5000,
                            help="dossiers par transaction (5000)")
        parser.add_argument("--workers-per-agency", type=int, default=None,
                            help="travailleurs sociaux par organisation (3, plus au-delà de "
                                 "48 000 dossiers pour garder ~2000 dossiers chacun)")
        parser.add_argument("--validate", choices=["auto", "all", "sample"], default="auto",
                            help="valider chaque dossier (all), un sur mille (sample) ou "
                                 "all jusqu'à 10 000 dossiers (auto)")
        parser.add_argument("--truth-file", type=Path, default=None,
                            help="CSV des paires de doublons générés (numéros courts)")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help=argparse.SUPPRESS)  # tests: a fixed 'today'

    def handle(self, *args, **opts):
        if opts["cases"] < 0:
            raise CommandError("--cases doit être positif.")
        if opts["reset"]:
            if not (settings.DEBUG or opts["yes_really"]):
                raise CommandError(
                    "--reset efface tous les dossiers : refusé hors mode DEBUG. "
                    "Ajoutez --yes-really si c'est bien une base de démonstration ou de test.")
            counts = wipe_case_data()
            self.stdout.write("Dossiers effacés : " + ", ".join(
                f"{k} {v:,}" for k, v in counts.items() if v))

        if opts["if_empty"] and not opts["reset"] and Case.objects.exists():
            self.stdout.write("La base contient déjà des dossiers : données de démonstration "
                              "non chargées.")
            if User.objects.filter(username="admin").exists():
                self.stdout.write(f"Mot de passe des comptes de démonstration : {demo_password()}")
            return
        ensure_reference_data()
        n_workers = opts["workers_per_agency"] or workers_per_agency(opts["cases"])
        network = create_network(opts["seed"], n_workers)
        self._print_logins(network)
        found = create_directory(opts["today"] or timezone.localdate())
        self.stdout.write(f"Annuaire du réseau : {found['sites']} structures, "
                          f"{found['people']} profils, {found['trainings']} formations.")

        validate = {"auto": None, "all": True, "sample": False}[opts["validate"]]
        report = load_cases(
            network, opts["cases"], seed=opts["seed"], today=opts["today"],
            batch_size=opts["batch_size"], validate=validate, truth_file=opts["truth_file"],
            progress=(self.stdout.write if opts["verbosity"] >= 1 and opts["cases"] > 5000
                      else None),
        )
        stages = ", ".join(f"{k} {v:,}" for k, v in sorted(report.stages.items()))
        self.stdout.write(self.style.SUCCESS(
            f"{report.cases:,} dossiers en {report.seconds:.1f} s ({report.rate:,.0f}/s) ; "
            f"{report.incidents} incidents, {report.tracing_requests} demandes de recherche, "
            f"{report.assigned:,} attributions, {report.duplicates:,} doublons volontaires ; "
            f"{report.validated:,} dossiers validés contre le formulaire."))
        if stages:
            self.stdout.write(f"Étapes : {stages}.")

    def _print_logins(self, network) -> None:
        rows = [(lg.username, lg.role, lg.agency or lg.cell or "—",
                 "" if lg.created else "existant, mot de passe inchangé")
                for lg in network.logins]
        shown = rows
        if len(rows) > MAX_LISTED:
            # Big benchmark networks: every role and organisation, not every case worker.
            seen: dict[tuple[str, str], int] = {}
            shown = []
            for row in rows:
                key = (row[1], row[2])
                seen[key] = seen.get(key, 0) + 1
                if seen[key] <= 2:
                    shown.append(row)
        width = max(len(r[0]) for r in shown)
        self.stdout.write(f"\n{'identifiant':<{width}}  {'rôle':<22}  organisation / cellule")
        for username, role, where, note in shown:
            self.stdout.write(f"{username:<{width}}  {role:<22}  {where:<12}  {note}".rstrip())
        if len(shown) < len(rows):
            self.stdout.write(f"… et {len(rows) - len(shown)} autres comptes du même type.")
        self.stdout.write(f"\nMot de passe de tous les comptes de démonstration : {demo_password()}\n")
