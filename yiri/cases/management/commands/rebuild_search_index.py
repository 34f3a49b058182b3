from django.core.management.base import BaseCommand

from yiri.cases.models import RECORD_MODELS
from yiri.cases.services import rebuild_search_tokens


class Command(BaseCommand):
    help = "Recalcule l'index de recherche des noms et téléphones de tous les dossiers."

    def handle(self, *args, **options):
        for record_type in RECORD_MODELS:
            count = rebuild_search_tokens(record_type)
            self.stdout.write(f"{record_type} : {count} dossiers réindexés.")
