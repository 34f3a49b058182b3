from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yiri.cases"
    label = "cases"
    verbose_name = "Dossiers"
