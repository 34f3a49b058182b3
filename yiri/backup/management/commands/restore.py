"""``manage.py restore FILE [--key-file node_keys] [--keys keys.ykeys]``: put a backup into this installation,
which must be empty (no record, no operation)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from yiri.backup import services
from yiri.backup.archive import BackupError
from yiri.lib.commands import YiriCommand
from yiri.sync.identity import IdentityError


class Command(YiriCommand):
    help = ("Restaure une sauvegarde dans cette installation vide (base sans dossier ni "
            "opération). Arrêtez le serveur de ce nœud avant.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="Le fichier de sauvegarde (.ybk).")
        parser.add_argument("--keys", help="Copie du magasin de clés (keys.ykeys) à importer "
                                           "(par défaut : celle posée à côté de la sauvegarde ; "
                                           "elle s'ouvre avec les mêmes clés de nœud que la "
                                           "sauvegarde).")
        parser.add_argument("--key-file", help="Fichier node_keys à utiliser pour la lire (par "
                                               "défaut : les clés de ce nœud ; celui du nœud "
                                               "parent pour la sauvegarde d'un de ses bureaux).")

    def handle(self, *args, **options):
        try:
            keys = services.load_keys(Path(options["key_file"])) if options["key_file"] else None
            done = services.restore(Path(options["file"]), keys,
                                    Path(options["keys"]) if options["keys"] else None)
        except (BackupError, IdentityError) as exc:
            raise CommandError(str(exc)) from exc
        m = done.manifest
        self.stdout.write(f"Sauvegarde restaurée : nœud {m['node_id']}, faite le {m['created']}, "
                          f"{m['rows']} ligne(s) synchronisées, {m['attachments']['files']} "
                          "fichier(s) joint(s) ; base et empreinte vérifiées.")
        if done.identity_changed:
            self.stdout.write(f"Cette installation prend l'identité du nœud {m['node_id']} "
                              "(fichier node_id du dossier de données).")
        if not done.same_keys:
            self.stdout.write(
                "Les clés de cette installation ne sont pas celles du nœud sauvegardé : copiez "
                "son fichier node_keys s'il a été mis de côté, sinon faites enregistrer les "
                "nouvelles clés de ce nœud auprès de son nœud parent (nouvel enrôlement).")
        self.stdout.write("Lancez « manage.py migrate » si Yiri a été mis à jour depuis la "
                          "sauvegarde (run.sh le fait au démarrage). La prochaine "
                          "synchronisation vérifiera les compteurs de ce nœud auprès de son "
                          "nœud parent : ce qui a été fait après la sauvegarde et déjà envoyé "
                          "reviendra du parent.")
