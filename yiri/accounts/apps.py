from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yiri.accounts"
    label = "accounts"
    verbose_name = "Comptes et rôles"

