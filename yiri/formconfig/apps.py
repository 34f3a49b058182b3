from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormConfigConfig(AppConfig):
    name = "yiri.formconfig"
    label = "formconfig"
    verbose_name = _("Formulaires")
