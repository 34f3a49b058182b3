"""The synced record of the benchmark, and the user who may sign a node's certificate."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from morango.models.core import SyncableModel

PROFILE = "benchdata"
SCOPE = "bench-full"  # the whole data set, read and write, as Kolibri's full-facility scope


class BenchUser(AbstractUser):
    """Not synced: an account on a node, used once to pair another node with it."""

    def has_morango_certificate_scope_permission(self, scope_definition_id, scope_params):
        return self.is_superuser


class BenchCase(SyncableModel):
    """A case: its answers (60 fields and 3 subforms, ``payload.case_answers``) in one JSON
    column, in the data set (Morango partition) of the node that created it."""

    morango_profile = PROFILE
    morango_model_name = "benchcase"

    dataset_id = models.CharField(max_length=32)
    answers = models.JSONField()

    def calculate_source_id(self):
        return None  # a random id, as most Kolibri models

    def calculate_partition(self):
        return f"{self.dataset_id}:cases"
