"""Prepare a migrated node: the scope; on the node that creates the data set, its root
certificate and the account another node pairs with. Prints JSON."""

import json

from django.core.management.base import BaseCommand
from morango.models.certificates import Certificate

from bench_case.models import SCOPE, BenchUser
from bench_case.node import ensure_scope


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--create-dataset", action="store_true")
        parser.add_argument("--username", default="bench")
        parser.add_argument("--password", default="bench")

    def handle(self, *args, create_dataset, username, password, **options):
        ensure_scope()
        out = {}
        if create_dataset:
            root = Certificate.generate_root_certificate(SCOPE)
            BenchUser.objects.create_superuser(username, password=password)
            out["dataset"] = root.id
        self.stdout.write(json.dumps(out))
