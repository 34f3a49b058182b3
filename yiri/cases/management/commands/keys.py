"""``manage.py keys status`` / ``manage.py keys rotate``: the keys of encryption at rest.

``status`` lists the master key ids (the current one first) and how many record keys each
wraps (and how many were forgotten). ``rotate`` makes a new master key, then re-wraps
every record key under it, in batches, printing its progress; interrupted, it can be run
again and finishes the same rotation (``cases.keys.rotate``). The old master key is removed
from the master file once no record key uses it any more.

``rotate --data`` replaces the record keys themselves: a new key for every record, then
every sealed value (identities, notes, flags, comments, attachment names and files, the
change log, conflicts) decrypted and encrypted again under it, printing its progress
(``cases.reencrypt``). Interrupted, it resumes. The old record keys are kept so that older
backups stay readable, unless ``--destroy-old`` (after a suspected leak of a key: older
backups then read as erased).
"""

from __future__ import annotations

import time

from django.core.management.base import CommandError

from yiri.cases import keys
from yiri.lib.commands import YiriCommand


class Command(YiriCommand):
    help = "Clés du chiffrement au repos : état (status) ou rotation de la clé maîtresse (rotate)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "rotate"])
        parser.add_argument("--batch", type=int, default=1000,
                            help="rotate : clés de dossier réemballées par transaction.")
        parser.add_argument("--data", action="store_true",
                            help="rotate : remplacer les clés de dossier et rechiffrer toutes "
                                 "les données sous les nouvelles.")
        parser.add_argument("--destroy-old", action="store_true",
                            help="avec --data : détruire ensuite les anciennes clés de dossier "
                                 "(les sauvegardes antérieures deviennent illisibles).")

    def handle(self, *args, **options):
        try:
            if options["action"] == "status":
                self.status()
            elif options["data"]:
                self.rotate_data(options["batch"], options["destroy_old"])
            else:
                if options["destroy_old"]:
                    raise CommandError("--destroy-old ne s'emploie qu'avec --data.")
                self.rotate(options["batch"])
        except keys.KeyMissing as exc:
            raise CommandError(str(exc)) from exc

    def status(self) -> None:
        info = keys.status()
        self.stdout.write(f"Fichier de clé maîtresse : {keys.master_path().name} ; clé courante "
                          f"{info['current']}.")
        for m in info["masters"]:
            where = "" if m["present"] else " (ABSENTE du fichier : restaurez-le)"
            mark = " (courante)" if m["id"] == info["current"] else ""
            self.stdout.write(f"  {m['id']}{mark}{where} : {m['live']} clé(s) de dossier, "
                              f"{m['forgotten']} détruite(s)")
        old = keys.old_key_count()
        if old:
            self.stdout.write(f"{old} ancienne(s) clé(s) de dossier gardée(s) pour lire les "
                              "sauvegardes antérieures à la dernière rotation (--data).")
        if keys.data_rotation() is not None:
            self.stdout.write("Une rotation des clés de dossier (--data) est inachevée : "
                              "relancez « manage.py keys rotate --data ».")

    def rotate(self, batch: int) -> None:
        start = time.monotonic()
        before = keys.masters().current
        steps = keys.rotate(batch=max(1, batch))
        done, total = next(steps)
        now = keys.masters().current
        if now == before:
            self.stdout.write(f"Reprise de la rotation interrompue vers la clé {now}.")
        else:
            self.stdout.write(f"Nouvelle clé maîtresse {now} (la précédente : {before}).")
        self.stdout.write(f"{total} clé(s) de dossier à réemballer.")
        last = 0.0
        for done, total in steps:
            if time.monotonic() - last > 1 or done == total:
                pct = 100 * done // total if total else 100
                self.stdout.write(f"  {done}/{total} ({pct} %)")
                last = time.monotonic()
        left = [m["id"] for m in keys.status()["masters"] if m["id"] != now]
        self.stdout.write(f"Rotation terminée en {time.monotonic() - start:.1f} s : toutes les "
                          f"clés de dossier sont sous la clé {now}."
                          + (f" Clés encore présentes : {', '.join(left)}." if left else
                             " L'ancienne clé a été retirée du fichier."))
        self.stdout.write("Faites une nouvelle sauvegarde : sa copie du magasin de clés "
                          "(keys.ykeys) sera scellée par la nouvelle clé ; gardez une copie du "
                          "fichier de clé maîtresse à jour hors de cet ordinateur.")

    def rotate_data(self, batch: int, destroy_old: bool) -> None:
        """Through the background jobs' mechanism (kind ``reencrypt``), in this process,
        with its progress bar."""
        from yiri.jobs import Bar
        from yiri.jobs.models import Job
        from yiri.jobs.services import run_here

        start = time.monotonic()
        self.stdout.write("Rotation des clés de dossier : une nouvelle clé par dossier, puis "
                          "chaque valeur chiffrée rechiffrée.")
        bar = Bar(self.stdout)
        job = run_here("reencrypt", {"batch": batch, "destroy_old": destroy_old}, printer=bar)
        bar.close()
        if job.status != Job.Status.DONE:
            raise CommandError(job.error)
        result = job.result
        if result["resumed"]:
            self.stdout.write("Reprise de la rotation des clés de dossier.")
        self.stdout.write(f"  {result['renewed']} nouvelle(s) clé(s) de dossier.")
        self.stdout.write(f"Rotation terminée en {time.monotonic() - start:.1f} s : "
                          f"{result['rewritten']} valeur(s) rechiffrée(s) sous les nouvelles clés.")
        if destroy_old:
            self.stdout.write(f"{result['destroyed']} ancienne(s) clé(s) détruite(s) : les "
                              "sauvegardes antérieures ne peuvent plus être lues.")
        else:
            self.stdout.write("Les anciennes clés sont gardées pour lire les sauvegardes "
                              "antérieures ; faites une nouvelle sauvegarde.")
