"""``manage.py jobs``: the background jobs from a terminal.

- ``jobs list``: the latest jobs, their state and progress (no names: kinds and counts).
- ``jobs export --user NAME --output FILE.7z [--format xlsx] [--lang en] [--filter risk=high]``:
  an export of the cases NAME may see (scope and field rights), run here as a job with
  its progress bar; the encrypted archive is written to FILE and its password printed
  once (never stored). Audited like an export from the page.
- ``jobs purge``: delete the files of jobs past their keeping time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from yiri.lib.commands import YiriCommand


class Command(YiriCommand):
    help = "Travaux en arrière-plan : liste (list), export chiffré (export), nettoyage (purge)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Les derniers travaux.")
        sub.add_parser("purge", help="Supprimer les fichiers expirés.")
        ex = sub.add_parser("export", help="Exporter les dossiers visibles d'un utilisateur.")
        ex.add_argument("--user", required=True)
        ex.add_argument("--output", required=True, help="fichier .7z à écrire")
        ex.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
        ex.add_argument("--lang", choices=["fr", "en"], default="fr")
        ex.add_argument("--filter", action="append", default=[],
                        help="filtre de la liste des dossiers, p. ex. risk=high (répétable)")

    def handle(self, *args, **opts):
        from yiri.jobs import services
        from yiri.jobs.models import Job

        if opts["action"] == "purge":
            self.stdout.write(f"{services.purge_expired()} fichier(s) supprimé(s).")
        elif opts["action"] == "list":
            for job in Job.objects.all()[:30]:
                job = services.refresh(job)
                self.stdout.write(f"{job.pk:>6} {services.label_of(job)[:35]:<35} "
                                  f"{job.get_status_display():<11} {job.done}/{job.total} "
                                  f"{job.created_at:%Y-%m-%d %H:%M}")
        else:
            self._export(opts)

    def _export(self, opts):
        from yiri.jobs import Bar, services
        from yiri.jobs.exports import _FILTER_KEYS
        from yiri.jobs.models import Job

        try:
            user = get_user_model().objects.get(username=opts["user"])
        except get_user_model().DoesNotExist:
            raise CommandError("Utilisateur inconnu.") from None
        if not user.can("export", "case"):
            raise CommandError("Le rôle de cet utilisateur ne permet pas d'exporter.")
        filters = {}
        for item in opts["filter"]:
            key, sep, value = item.partition("=")
            if not sep or key not in _FILTER_KEYS:
                raise CommandError(f"Filtre inconnu : {key} (possibles : "
                                   f"{', '.join(sorted(_FILTER_KEYS))}).")
            filters[key] = value
        output = Path(opts["output"])
        if output.exists():
            raise CommandError("Le fichier de sortie existe déjà : choisissez un autre nom.")
        bar = Bar(self.stdout)
        job = services.run_here("export", {"record_type": "case", "filters": filters,
                                           "format": opts["format"], "lang": opts["lang"]},
                                user, printer=bar)
        bar.close()
        if job.status != Job.Status.DONE:
            raise CommandError(job.error)
        path = services.file_path(job)
        shutil.copyfile(path, output)
        output.chmod(0o600)
        password = services.take_secret(job)
        services.discard_file(job)
        self.stdout.write(f"{job.result['count']} dossier(s) exporté(s) dans {output} "
                          "(archive 7z chiffrée AES-256).")
        self.stdout.write(f"Mot de passe (affiché une seule fois, notez-le) : {password}")
