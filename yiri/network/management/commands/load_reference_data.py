from django.core.management.base import BaseCommand

from yiri.accounts.roles import seed_roles
from yiri.formconfig.services import load_form_set
from yiri.network.services import load_locations, local_node


class Command(BaseCommand):
    help = "Charge les lieux, le jeu de formulaires par défaut et les rôles (sans écraser les ajouts)."

    def handle(self, *args, **options):
        n_locations = load_locations()
        forms = load_form_set()
        roles = seed_roles()
        node = local_node()
        self.stdout.write(
            f"{n_locations} lieux, {forms['fields']} champs dans {forms['sections']} sections, "
            f"{forms['lookups']} listes, {len(roles)} rôles ; nœud {node.code} ({node.kind})."
        )
