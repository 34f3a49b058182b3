"""Pair this node with a server node, as a Kolibri device first syncs with another:
fetch the server's certificate of the data set and have it sign one for this node
(certificate signing request, authenticated with an account of the server). Prints JSON."""

import json

from django.core.management.base import BaseCommand
from morango.sync.controller import MorangoProfileController

from bench_case.models import PROFILE, SCOPE
from bench_case.node import ensure_scope


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--server", required=True)
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--username", default="bench")
        parser.add_argument("--password", default="bench")

    def handle(self, *args, server, dataset, username, password, **options):
        ensure_scope()
        conn = MorangoProfileController(PROFILE).create_network_connection(server)
        server_cert = conn.get_remote_certificates(dataset, scope_def_id=SCOPE)[0]
        cert = conn.certificate_signing_request(
            server_cert, SCOPE, {"dataset": dataset}, userargs=username, password=password)
        conn.close()
        self.stdout.write(json.dumps({"certificate": cert.id, "parent": server_cert.id}))
