"""The ``pprl-*`` actions of ``manage.py matching`` (matching between networks without
sharing names; docs/matching.md, "Entre réseaux sans partager les noms").

    manage.py matching pprl-secret FICHIER               # once, by one network; copy it out of band
    manage.py matching pprl-export FICHIER --user NOM    # our encodings, to send
    manage.py matching pprl-match LEUR_FICHIER --ours NOTRE_FICHIER [--out PAIRES.csv]
    manage.py matching pprl-match LEUR_FICHIER --user NOM   # against our cases, our numbers shown
    manage.py matching pprl-lookup NOTRE_FICHIER REF… --user NOM  (or --from PAIRES.csv)

The secret comes from ``--secret FICHIER`` or the file named by ``YIRI_PPRL_SECRET_FILE``;
it is never stored in the database, printed or logged.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from yiri.lib import spreadsheet

from . import pprl, pprl_cases

ACTIONS = ("pprl-secret", "pprl-export", "pprl-match", "pprl-lookup")


def add_arguments(subparsers) -> None:
    p = subparsers.add_parser("pprl-secret", help="Crée un secret partagé (à remettre à l'autre réseau hors de Yiri).")
    p.add_argument("file", metavar="FICHIER")

    p = subparsers.add_parser("pprl-export", help="Écrit les encodages des dossiers de votre portée.")
    p.add_argument("file", metavar="FICHIER")
    p.add_argument("--user", required=True, help="utilisateur dont la portée est exportée")
    p.add_argument("--secret", metavar="FICHIER", help=f"fichier du secret partagé (sinon ${pprl.SECRET_ENV})")
    p.add_argument("--layout", choices=list(pprl.LAYOUTS), default=pprl.PARAMETERS["layout"],
                   help="disposition des encodages (la même des deux côtés)")

    p = subparsers.add_parser("pprl-match", help="Correspondances probables entre leur fichier et le vôtre.")
    p.add_argument("file", metavar="LEUR_FICHIER")
    p.add_argument("--ours", metavar="NOTRE_FICHIER", help="notre fichier d'échange")
    p.add_argument("--user", help="sans --ours : comparer aux dossiers de la portée de cet utilisateur")
    p.add_argument("--secret", metavar="FICHIER")
    p.add_argument("--threshold", type=float, help="score minimal (par défaut celui de la disposition)")
    p.add_argument("--out", metavar="FICHIER", help="écrire les paires dans ce fichier (CSV) plutôt qu'à l'écran")

    p = subparsers.add_parser("pprl-lookup", help="Vos dossiers derrière des références de votre fichier.")
    p.add_argument("file", metavar="NOTRE_FICHIER")
    p.add_argument("refs", nargs="*", metavar="REF")
    p.add_argument("--from", dest="from_file", metavar="PAIRES.csv",
                   help="prendre les références dans ce fichier de paires")
    p.add_argument("--user", required=True)
    p.add_argument("--secret", metavar="FICHIER")


def _user(username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"Utilisateur inconnu ou désactivé : {username}.")
    return user


def handle(command, action: str, options: dict) -> None:
    out = command.stdout
    try:
        if action == "pprl-secret":
            path = pprl.generate_secret(options["file"])
            out.write(f"Secret partagé créé : {path} (lisible par vous seul). Remettez-en une "
                      "copie à l'autre réseau hors de Yiri (en main propre, clé USB) ; ne "
                      "l'envoyez jamais avec un fichier d'échange.")
            return
        secret = pprl.load_secret(options.get("secret"))
        if action == "pprl-export":
            params = pprl.LAYOUTS[options["layout"]]
            summary = pprl_cases.export_cases(_user(options["user"]), options["file"], secret, params)
            out.write(f"{summary.count} dossier(s) encodé(s) dans {Path(options['file']).name} "
                      f"(échange {summary.exchange}, disposition {params['layout']}). Le fichier ne "
                      "contient ni nom ni numéro de dossier ; gardez-le : il sert à retrouver vos "
                      "dossiers derrière les références.")
        elif action == "pprl-match":
            user = _user(options["user"]) if options.get("user") else None
            if options.get("ours") is None and user is None:
                raise CommandError("Donnez --ours NOTRE_FICHIER, ou --user NOM pour comparer aux "
                                   "dossiers de ce nœud.")
            pairs = pprl_cases.match_files(options["file"], secret, our_path=options.get("ours"),
                                           user=None if options.get("ours") else user,
                                           threshold=options.get("threshold"))
            ours_header = "notre_reference" if options.get("ours") else "notre_dossier"
            buf = io.StringIO()
            writer = spreadsheet.writer(buf, delimiter=";", lineterminator="\n")
            writer.writerow(["leur_reference", ours_header, "score", "niveau"])
            for pair in pairs:
                writer.writerow([pair.theirs, pair.ours, f"{pair.score:.4f}", pair.level])
            if options.get("out"):
                fd = os.open(options["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(buf.getvalue())
                out.write(f"{len(pairs)} paire(s) probable(s) ou possible(s) écrite(s) dans "
                          f"{Path(options['out']).name}.")
            else:
                out.write(buf.getvalue(), ending="")
                out.write(f"{len(pairs)} paire(s).")
        elif action == "pprl-lookup":
            refs = list(options["refs"])
            if options.get("from_file"):
                try:
                    text = Path(options["from_file"]).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise CommandError(f"Fichier de paires illisible : {Path(options['from_file']).name}.") from exc
                refs += re.findall(r"\br[A-Za-z0-9_-]{30,40}\b", text)
            if not refs:
                raise CommandError("Donnez des références, ou --from PAIRES.csv.")
            refs = list(dict.fromkeys(refs))
            user = _user(options["user"])
            found = pprl_cases.lookup(user, options["file"], secret, refs)
            if options.get("from_file"):  # the pairs hold their references too: keep ours only
                found = [f for f in found if f.case_id is not None] or found
            for f in found:
                if f.case_id is None:
                    out.write(f"{f.reference} : aucun dossier de votre portée (pas une référence de "
                              "ce fichier, ou dossier hors de votre portée)")
                else:
                    out.write(f"{f.reference} : dossier {f.number} (/cases/{f.case_id}/)")
    except (pprl.PprlError, PermissionDenied) as exc:
        raise CommandError(str(exc)) from exc
