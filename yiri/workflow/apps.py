from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "yiri.workflow"
    label = "workflow"
    verbose_name = "Circuit du dossier"
