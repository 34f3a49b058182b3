"""A small network of Yiri nodes driven through ``tests/sync/agent.py`` processes.

``Network.prepare(root)`` installs four nodes once (migrations and reference data each):
national ``nat`` ← relay ``rel`` (ACE, BTA) ← offices ``ofa`` (ACE) and ``ofb`` (BTA),
creates the test network's organisations and users on the national node and carries them
everywhere. ``Network.copy(template, root)`` gives a fresh copy of those four data folders
(a few file copies, so each example of a property test starts from the same state).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from .nodes import REPO, SETUP_NETWORK, Node, link

AGENT = Path(__file__).with_name("agent.py")

EXTRA_USERS = """
user("aceadmin", "administrator", ace)
user("btaadmin", "administrator", bta)
user("tgoadmin", "administrator", tgo)
"""

# (name, kind, parent, organisations)
LAYOUT = [("nat", "national", None, ""), ("rel", "relay", "nat", "ACE,BTA"),
          ("ofa", "office", "rel", "ACE"), ("ofb", "office", "rel", "BTA")]
LINKS = [(name, parent) for name, _, parent, _ in LAYOUT if parent]  # (child, parent)
SCOPES = {name: orgs for name, _, _, orgs in LAYOUT}


class AgentError(AssertionError):
    pass


class Agent:
    """One node's agent process: ``call(cmd, **args)`` returns its answer (a dict)."""

    def __init__(self, name: str, env: dict, log: Path) -> None:
        self.name = name
        self.log = log
        self.stderr = open(log, "ab")  # noqa: SIM115 (closed in stop)
        # Run as a script, the agent would import ``yiri`` from wherever the interpreter
        # finds it (an installed copy): this checkout's, always.
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, str(AGENT)], cwd=REPO, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        self.node_id = None

    def ready(self) -> None:
        self.node_id = self._read()["node"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=30)
            raise AgentError(f"{self.name}: agent stopped:\n{self.log.read_text()[-4000:]}")
        return json.loads(line)

    def call(self, cmd: str, **args) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        answer = self._read()
        if answer.get("error"):
            raise AgentError(f"{self.name}: {cmd} {args if cmd == 'act' else ''} failed: "
                             f"{answer['error']}\n{answer.get('traceback', '')}")
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


class Network:
    """The four nodes (their folders and environments) and, once started, their agents."""

    def __init__(self, root: Path, nodes: dict[str, Node]) -> None:
        self.root = root
        self.nodes = nodes
        self.agents: dict[str, Agent] = {}

    @classmethod
    def prepare(cls, root: Path) -> Network:
        """On the PostgreSQL run, the national node and the relay have PostgreSQL
        databases of their own (copies are made from them as templates)."""
        nodes = {name: Node(root, name, kind, postgres=kind != "office")
                 for name, kind, _, _ in LAYOUT}
        errors: list[Exception] = []

        def install(node: Node) -> None:
            try:
                node.install()
            except Exception as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=install, args=(n,)) for n in nodes.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        nodes["nat"].script(SETUP_NETWORK + EXTRA_USERS)
        net = cls(root, nodes)
        # A relay registers its offices once it holds the organisations they serve.
        for layer in (LINKS[:1], LINKS[1:]):
            for child, parent in layer:
                link(nodes[parent], nodes[child], SCOPES[child])
            net.start()
            try:
                for child, parent in layer:
                    net.sync(child, parent)
            finally:
                net.stop()
        return net

    def copy(self, root: Path) -> Network:
        """Fresh copies of these nodes' folders and databases under ``root`` (same node
        ids); ``drop`` removes the databases."""
        nodes = {}
        for name, node in self.nodes.items():
            twin = Node.__new__(Node)
            twin.__dict__.update(node.__dict__)
            twin.dir = root / name
            shutil.copytree(node.dir, twin.dir)
            twin.env = {**node.env, "YIRI_DATA_DIR": str(twin.dir)}
            twin.proc = None
            if node.pg_db:
                twin.pg_db = f"{node.pg_db}_{root.name[-12:]}".replace("-", "_")
                twin._psql(f'CREATE DATABASE "{twin.pg_db}" TEMPLATE "{node.pg_db}"')
                twin.env["DATABASE_URL"] = node.env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + twin.pg_db
            nodes[name] = twin
        return Network(root, nodes)

    def drop(self) -> None:
        """Remove the nodes' PostgreSQL databases (agents stopped)."""
        for node in self.nodes.values():
            node.stop()

    def start(self) -> None:
        self.agents = {name: Agent(name, node.env, node.dir / "agent.log")
                       for name, node in self.nodes.items()}
        for agent in self.agents.values():
            agent.ready()

    def stop(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        self.agents = {}

    def sync(self, child: str, parent: str, *, limit: int = 500, max_exchanges: int = 200) -> int:
        """Exchanges between ``child`` and ``parent`` until both sides have nothing more
        (what ``sync_with`` does, without HTTP). Returns the operations that travelled."""
        c, p = self.agents[child], self.agents[parent]
        moved = 0
        for _ in range(max_exchanges):
            request = c.call("request", limit=limit)
            response = p.call("serve", child=c.node_id, payload=request["payload"])["response"]
            taken = c.call("take", response=response)
            moved += request["pushed"] + taken["received"]
            if not request["push_more"] and not response.get("more"):
                return moved
        raise AgentError(f"{child} → {parent}: still exchanging after {max_exchanges} exchanges")
