"""``manage.py matching ACTION …``: finding the same child twice (issue 10).

Each group of actions lives in its own module, which declares its sub-parsers
(``add_arguments``) and runs them (``handle``); this command only dispatches.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from yiri.matching import pprl_commands

GROUPS = [pprl_commands]


class Command(BaseCommand):
    help = "Doublons et correspondances (issue 10) : voir « manage.py matching ACTION --help »."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for group in GROUPS:
            group.add_arguments(subparsers)

    def handle(self, *args, **options):
        action = options["action"]
        for group in GROUPS:
            if action in group.ACTIONS:
                return group.handle(self, action, options)
