"""``manage.py rebuild_search_index [--new-key]``: recompute the blind search index.

Without option: every record's tokens again under the current index key (after a change
of the indexed fields, a restore onto another machine, or a lost key file).

``--new-key``: generate a new index key (a key that may have leaked, or on a schedule)
and rebuild under it. The server may keep running: during the rebuild, searches look
tokens up under the old and the new key, so every record is found throughout; at the end
records still holding a token of the old key are rebuilt and the old key is deleted.

``--columns``: recompute instead the cases' derived dashboard columns (source of
identification, services, next due date, missing required answers) from their answers,
after a form change that made a field required.
"""


from yiri.cases import blind_index
from yiri.cases.models import RECORD_MODELS, NameToken
from yiri.cases.services import rebuild_search_tokens, rederive_case_columns
from yiri.lib.commands import YiriCommand


class Command(YiriCommand):
    help = ("Recalcule l'index de recherche chiffré (noms et téléphones) de tous les dossiers ; "
            "avec --new-key, crée d'abord une nouvelle clé d'index.")

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true",
                            help="Créer une nouvelle clé d'index puis tout réindexer sous cette clé "
                                 "(l'ancienne clé est supprimée à la fin).")
        parser.add_argument("--columns", action="store_true",
                            help="Recalculer plutôt les colonnes du tableau de bord des dossiers "
                                 "(après qu'un champ est devenu obligatoire).")

    def _progress(self, label: str):
        step = {"last": -1}

        def report(done: int, total: int) -> None:
            percent = 100 * done // total if total else 100
            if percent // 10 != step["last"] or done == total:
                step["last"] = percent // 10
                self.stdout.write(f"  {label} : {done} / {total} ({percent} %)")
        return report

    def _rebuild_all(self) -> None:
        for record_type in RECORD_MODELS:
            count = rebuild_search_tokens(record_type, progress=self._progress(f"dossiers « {record_type} »"))
            self.stdout.write(f"{record_type} : {count} dossiers réindexés.")

    def _sweep(self, key: blind_index.IndexKey) -> int:
        """Rebuild the records that still hold a token of another key (written by a
        process that had not yet seen the new key)."""
        stale = (NameToken.objects.exclude(token__startswith=key.id)
                 .values_list("record_type", "record_id").distinct())
        by_type: dict[str, set] = {}
        for record_type, record_id in stale:
            by_type.setdefault(record_type, set()).add(record_id)
        for record_type, ids in by_type.items():
            if record_type in RECORD_MODELS:
                rebuild_search_tokens(record_type, ids=sorted(ids, key=str))
            else:
                NameToken.objects.filter(record_type=record_type).delete()
        return sum(len(ids) for ids in by_type.values())

    def handle(self, *args, new_key: bool = False, columns: bool = False, **options):
        if columns:
            count = rederive_case_columns(progress=self._progress("dossiers"))
            self.stdout.write(f"Colonnes du tableau de bord recalculées : {count} dossiers.")
            return
        if not new_key:
            self._rebuild_all()
            return
        key = blind_index.begin_rotation()
        self.stdout.write(f"Nouvelle clé d'index {key.id} créée ; les recherches utilisent "
                          "l'ancienne et la nouvelle clé jusqu'à la fin.")
        self._rebuild_all()
        late = self._sweep(key)
        blind_index.end_rotation(key)
        late += self._sweep(key)
        if late:
            self.stdout.write(f"{late} dossier(s) modifié(s) pendant la réindexation, réindexé(s) à nouveau.")
        self.stdout.write(self.style.SUCCESS(
            f"Clé d'index remplacée : seule la clé {key.id} reste ; pensez à sauvegarder le fichier "
            f"{blind_index.key_path().name} du dossier de données."))
