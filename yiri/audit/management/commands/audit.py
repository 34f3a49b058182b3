"""``manage.py audit``: check the audit log's chain, sign a checkpoint.

    manage.py audit verify        # exit status 1 and the first entry altered, removed or moved
    manage.py audit checkpoint    # sign the head of the chain now (also done during syncs)
"""

from __future__ import annotations

from django.core.management.base import CommandError

from yiri.audit import chain
from yiri.lib.commands import YiriCommand


class Command(YiriCommand):
    help = "Journal d'audit : vérifier la chaîne, signer un point de contrôle."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Vérifier la chaîne et les points de contrôle.")
        sub.add_parser("checkpoint", help="Signer la tête de la chaîne avec la clé du nœud.")

    def handle(self, *args, **options):
        if options["action"] == "checkpoint":
            point = chain.checkpoint(force=True)
            if point is None:
                raise CommandError("Aucun point de contrôle signé : le journal est vide, déjà "
                                   "signé jusqu'au bout, ou ce nœud n'a pas de clés "
                                   "(manage.py node init).")
            self.stdout.write(f"Point de contrôle signé : entrée n° {point.seq}.")
            return
        events, points, findings = chain.verify()
        if findings:
            for finding in findings:
                self.stderr.write(finding.message)
            raise CommandError(f"Journal d'audit altéré : {len(findings)} anomalie(s) ; la "
                               f"première : {findings[0].message}")
        self.stdout.write(f"Journal d'audit intègre : {events} entrée(s), {points} point(s) de "
                          "contrôle signé(s).")
