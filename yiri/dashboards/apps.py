from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "yiri.dashboards"
    label = "dashboards"
    verbose_name = "Tableaux de bord"
