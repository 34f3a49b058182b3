from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "yiri.web"
    label = "web"
