from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "yiri.network"
    label = "network"
    verbose_name = "Réseau"
