from django.apps import AppConfig


class FormConfigConfig(AppConfig):
    name = "yiri.formconfig"
    label = "formconfig"
    verbose_name = "Formulaires"
