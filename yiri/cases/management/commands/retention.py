"""``manage.py retention``: how many closed cases are past retention (counts only, never a
name or a number), and with ``--propose --as USER`` ask for their erasure in that user's
name; another person with ``erase_records`` must then approve each one (page
"Effacements")."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from yiri.cases import erasure
from yiri.lib.commands import YiriCommand


class Command(YiriCommand):
    help = ("Compte les dossiers clôturés dont le délai de conservation est dépassé ; avec "
            "--propose --as UTILISATEUR, demande leur effacement (à faire approuver par une "
            "autre personne).")

    def add_arguments(self, parser):
        parser.add_argument("--propose", action="store_true",
                            help="demander l'effacement de ces dossiers")
        parser.add_argument("--as", dest="username", default="",
                            help="l'utilisateur au nom duquel les demandes sont faites")

    def handle(self, *args, **options):
        from django.conf import settings

        years = settings.YIRI_RETENTION_YEARS
        cutoff = erasure.retention_cutoff()
        count = erasure.past_retention().count()
        self.stdout.write(_("Délai de conservation : %(years)s ans (dossiers clôturés avant le "
                            "%(cutoff)s).") % {"years": years, "cutoff": cutoff.strftime("%d/%m/%Y")})
        self.stdout.write(_("Dossiers clôturés au-delà du délai : %(n)s.") % {"n": count})
        if not options["propose"]:
            return
        if not options["username"]:
            raise CommandError(_("--propose demande --as UTILISATEUR : la personne qui demande "
                                 "les effacements."))
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None or not erasure.has_right(user):
            raise CommandError(_("Cet utilisateur n'a pas le droit de demander des effacements."))
        done = erasure.propose_past_retention(user)
        self.stdout.write(_("Demandes d'effacement créées : %(n)s (à faire approuver par une "
                            "autre personne habilitée).") % {"n": done})
        if done < count:
            self.stdout.write(_("Hors de la portée de cet utilisateur : %(n)s.") % {"n": count - done})
