
from yiri.lib.commands import YiriCommand
from yiri.network.reference import seed_reference_data
from yiri.network.services import local_node


class Command(YiriCommand):
    help = (
        "Charge une seule fois les lieux, le jeu de formulaires par défaut et les rôles "
        "(jamais d'écrasement de ce qu'un administrateur a modifié)."
    )

    def handle(self, *args, **options):
        done = seed_reference_data()
        node = local_node()
        seeded = ", ".join(name for name, now in done.items() if now) or "rien (déjà chargé)"
        self.stdout.write(f"Données de référence chargées : {seeded} ; nœud {node.code} ({node.kind}).")
