"""One full sync of this node's data set with a server node, with Morango's own client,
as Kolibri's ``sync`` command does it between two devices:

1. ``NetworkSyncConnection`` (asks the server's ``morangoinfo``),
2. the server's certificates of the data set (``get_remote_certificates``), this node's
   own certificate (from pairing),
3. a sync session (nonce, signed session request carrying this node's certificate chain),
4. a pull transfer session then a push one (``initialize``/``run``/``finalize``: the
   serialisation of dirty rows into the store, queuing, buffers in chunks, dequeuing and
   deserialisation into the application table, on both sides),
5. the session closed.

Prints JSON: seconds per phase, records pulled and pushed, Morango's own byte counters,
this process's memory (VmRSS when the sync starts, VmHWM when it ends), and how long the
client slept between polls of the server's stages (``SessionController``'s back-off:
0.3 s, then 0.9 s, ... while a stage is not reported complete), measured by wrapping the
``sleep`` that module calls, without changing it.
"""

import json
import time

import morango.sync.controller as morango_controller
from django.core.management.base import BaseCommand
from morango.models.certificates import Filter
from morango.sync.controller import MorangoProfileController

from bench_case.models import PROFILE, SCOPE
from bench_case.node import memory_kb, own_certificate


def _transfer(client, sync_filter):
    client.initialize(sync_filter)
    client.run()
    client.finalize()
    return client.current_transfer_session.records_total or 0


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--server", required=True)
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--chunk-size", type=int, default=500, help="Kolibri's default")

    def handle(self, *args, server, dataset, chunk_size, **options):
        slept = []
        real_sleep = morango_controller.sleep

        def counted_sleep(seconds):
            slept.append(seconds)
            real_sleep(seconds)

        morango_controller.sleep = counted_sleep
        start_memory = memory_kb()
        phases = {}
        t0 = time.perf_counter()
        conn = MorangoProfileController(PROFILE).create_network_connection(server)
        server_cert = conn.get_remote_certificates(dataset, scope_def_id=SCOPE)[0]
        client_cert = own_certificate(dataset)
        sync_client = conn.create_sync_session(client_cert, server_cert, chunk_size=chunk_size)
        t1 = time.perf_counter()
        phases["session"] = t1 - t0
        sync_filter = Filter(dataset)
        pulled = _transfer(sync_client.get_pull_client(), sync_filter)
        t2 = time.perf_counter()
        phases["pull"] = t2 - t1
        pushed = _transfer(sync_client.get_push_client(), sync_filter)
        t3 = time.perf_counter()
        phases["push"] = t3 - t2
        conn.close_sync_session(sync_client.sync_session)
        conn.close()
        t4 = time.perf_counter()
        phases["close"] = t4 - t3
        end_memory = memory_kb()
        self.stdout.write(json.dumps({
            "seconds": t4 - t0,
            "phases": phases,
            "pulled": pulled,
            "pushed": pushed,
            "backoff_seconds": sum(slept),
            "morango_bytes_sent": conn.bytes_sent,
            "morango_bytes_received": conn.bytes_received,
            "rss_start_kb": start_memory.get("VmRSS"),
            "peak_kb": end_memory.get("VmHWM"),
        }))
