from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "yiri.demo"
    label = "demo"
