from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The migration that replaced the clear name tokens by blind indexes (and deleted them).
BLIND_INDEX_MIGRATION = "0008_blind_search_index"
# Migrations after which every record's search tokens are computed again: the blind index
# itself, then the name match keys of issue 10 (new token kinds, nothing in the tables).
REINDEX_MIGRATIONS = (BLIND_INDEX_MIGRATION, "0011_name_match_keys")
# Migrations after which the cases' derived dashboard columns are computed from the answers
# (they need the codec to read the identifying answers: live code, not a migration's).
REDERIVE_MIGRATIONS = ("0012_case_dashboard_columns",)


def _index_under_a_foreign_key() -> bool:
    """Whether the stored tokens were computed under a key this node does not hold (a
    database restored or copied without its ``search_index_key``): one token looked at."""
    from . import blind_index
    from .models import NameToken

    sample = NameToken.objects.order_by("pk").values_list("token", flat=True).first()
    return sample is not None and sample[:blind_index.KEY_ID_LENGTH] not in {
        k.id for k in blind_index.ring().keys}


def _rebuild_search_index_if_needed(sender, plan=None, verbosity=1, stdout=None, using=DEFAULT_DB_ALIAS,
                                    **kwargs):
    """After ``migrate`` (run at every start by run.sh), rebuild the search index under
    the index key: right after the migration that deleted the clear tokens or the one that
    added the name match keys (``REINDEX_MIGRATIONS``), or when the
    tokens are under a key this node does not hold. Runs once every migration is applied,
    when the models match the tables."""
    if plan is None or using != DEFAULT_DB_ALIAS:
        return  # a flush (tests), not a migrate; or another database than the node's
    migrated = any(m.app_label == "cases" and m.name in REINDEX_MIGRATIONS and not backwards
                   for m, backwards in plan)
    foreign = not migrated and _index_under_a_foreign_key()
    if not (migrated or foreign):
        return
    from .models import RECORD_MODELS
    from .services import rebuild_search_tokens

    if foreign and verbosity and stdout is not None:
        stdout.write("  Index de recherche calculé sous une autre clé (base restaurée ou copiée "
                     "sans son fichier search_index_key) : réindexation sous la clé de ce nœud.\n")
    for record_type in RECORD_MODELS:
        count = rebuild_search_tokens(record_type)
        if verbosity and stdout is not None and count:
            stdout.write(f"  Index de recherche chiffré : {count} dossier(s) « {record_type} » réindexé(s).\n")


def _rederive_columns_if_needed(sender, plan=None, verbosity=1, stdout=None, using=DEFAULT_DB_ALIAS,
                                **kwargs):
    """After the migration that added the dashboard columns, fill them for every case."""
    if plan is None or using != DEFAULT_DB_ALIAS:
        return
    if not any(m.app_label == "cases" and m.name in REDERIVE_MIGRATIONS and not backwards
               for m, backwards in plan):
        return
    from .services import rederive_case_columns

    count = rederive_case_columns()
    if verbosity and stdout is not None and count:
        stdout.write(f"  Colonnes du tableau de bord : {count} dossier(s) recalculé(s).\n")


class CasesConfig(AppConfig):
    name = "yiri.cases"
    label = "cases"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        post_migrate.connect(_rebuild_search_index_if_needed, sender=self,
                             dispatch_uid="cases.rebuild_blind_index")
        post_migrate.connect(_rederive_columns_if_needed, sender=self,
                             dispatch_uid="cases.rederive_dashboard_columns")
