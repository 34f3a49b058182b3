from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The migration that replaced the clear name tokens by blind indexes (and deleted them).
BLIND_INDEX_MIGRATION = "0007_blind_search_index"


def _rebuild_after_blind_index_migration(sender, plan=None, verbosity=1, stdout=None, **kwargs):
    """Rebuild the search index under the index key right after the migration that deleted
    the clear tokens, once every migration has run (the models then match the tables)."""
    if not plan or not any(m.app_label == "cases" and m.name == BLIND_INDEX_MIGRATION and not backwards
                           for m, backwards in plan):
        return
    from .models import RECORD_MODELS
    from .services import rebuild_search_tokens

    for record_type in RECORD_MODELS:
        count = rebuild_search_tokens(record_type)
        if verbosity and stdout is not None and count:
            stdout.write(f"  Index de recherche chiffré : {count} dossier(s) « {record_type} » réindexé(s).\n")


class CasesConfig(AppConfig):
    name = "yiri.cases"
    label = "cases"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        post_migrate.connect(_rebuild_after_blind_index_migration, sender=self,
                             dispatch_uid="cases.rebuild_blind_index")
