"""The production start of a relay cell or national node (docs/production.md):
``scripts/serve.sh`` runs gunicorn with several workers on 127.0.0.1, only once
``check --deploy`` is clean, and behind the TLS proxy the client's address is the one the
proxy saw."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from yiri.lib.proxy import ProxiedClientAddress, forwarded_client

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "production.md"
TRUSTED = frozenset({"127.0.0.1", "::1"})


def documented_environment() -> dict[str, str]:
    """The variables set (not commented out) in the environment file of docs/production.md."""
    text = DOCS.read_text()
    block = text.split("## 2. Environment", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.splitlines():
        m = re.match(r"([A-Z_]+)=(\S+)", line)
        if m:
            env[m.group(1)] = m.group(2)
    return env


def clean_environ(data_dir: Path, **env) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("YIRI_", "DATABASE_URL", "DJANGO_"))}
    environ.update({**env, "YIRI_DATA_DIR": str(data_dir), "YIRI_PYTHON": sys.executable})
    return environ


def test_the_documented_environment_is_a_relay_behind_tls_on_postgresql():
    env = documented_environment()
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["YIRI_HTTPS"] == "1" and env["YIRI_TLS_PROXY"] == "1"
    assert env["YIRI_NODE_KIND"] in {"relay", "national"}


def test_check_deploy_is_clean_with_the_documented_environment(tmp_path):
    environ = clean_environ(tmp_path, **documented_environment())
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level",
                          "DEBUG"], env=environ, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout
    assert "WARNING" not in out.stdout + out.stderr


def serve(data_dir: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["scripts/serve.sh", "--no-install"], cwd=ROOT, capture_output=True,
                          text=True, env=clean_environ(data_dir, **env), timeout=120)


def test_serve_refuses_a_database_other_than_postgresql(tmp_path):
    out = serve(tmp_path, YIRI_HTTPS="1")
    assert out.returncode == 1 and "PostgreSQL" in out.stderr


def test_serve_starts_nothing_while_check_deploy_has_warnings(tmp_path):
    # Without YIRI_HTTPS: stops at the check, before touching the (unreachable) database.
    out = serve(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none")
    assert out.returncode != 0
    assert "security.W004" in out.stdout + out.stderr
    assert "Listening at" not in out.stdout + out.stderr


@pytest.mark.parametrize(("remote", "forwarded", "client"), [
    ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ("127.0.0.1", "10.1.1.1, 203.0.113.7", "203.0.113.7"),  # the first was the client's say
    ("::1", "2001:db8::1", "2001:db8::1"),
    ("198.51.100.2", "203.0.113.7", None),  # not from the proxy: its own address stays
    ("127.0.0.1", "", None),
    ("127.0.0.1", "203.0.113.7, pas-une-adresse", None),
])
def test_the_client_address_is_the_last_the_proxy_appended(remote, forwarded, client):
    environ = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert forwarded_client(environ, TRUSTED) == client
    seen = {}
    app = ProxiedClientAddress(lambda env, start: seen.update(env) or [], TRUSTED)
    app(dict(environ), None)
    assert seen["REMOTE_ADDR"] == (client or remote)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_serve_runs_gunicorn_workers_behind_the_tls_proxy(tmp_path):
    """On SQLite (YIRI_SERVE_SQLITE=1) so that it runs in every test run; the bench runs
    the same script on PostgreSQL."""
    port = free_port()
    environ = clean_environ(tmp_path / "data", YIRI_HTTPS="1", YIRI_TLS_PROXY="1",
                            YIRI_SERVE_SQLITE="1", YIRI_ALLOWED_HOSTS="relais.example",
                            YIRI_BIND=f"127.0.0.1:{port}", YIRI_WORKERS="3")
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen(["scripts/serve.sh", "--no-install"], cwd=ROOT, env=environ,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    proxied = {"Host": "relais.example", "X-Forwarded-Proto": "https",
               "X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    try:
        for _ in range(240):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.5)
        else:
            pytest.fail("gunicorn did not start: " + (tmp_path / "serve.log").read_text())
        for _ in range(60):  # serve.sh execs gunicorn: its process is the master
            workers = [p for p in Path("/proc").iterdir()
                       if p.name.isdigit() and _parent(p) == proc.pid]
            if len(workers) >= 3:
                break
            time.sleep(0.5)
        assert len(workers) == 3
        # Plain HTTP (no proxy saying https): redirected to HTTPS.
        status, headers, _ = fetch(base + "/login/", headers={"Host": "relais.example"})
        assert status == 301 and headers["Location"] == "https://relais.example/login/"
        status, headers, body = fetch(base + "/login/", headers=proxied)
        assert status == 200 and "Strict-Transport-Security" in headers
        cookies = {c.split("=", 1)[0]: c.split(";")[0] for c in headers.get_all("Set-Cookie")}
        assert all("; Secure" in c for c in headers.get_all("Set-Cookie"))
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.decode(),
                                       "username": "personne", "password": "mauvais"})
        status, _, _ = fetch(base + "/login/", data=form.encode(), headers={
            **proxied, "Cookie": cookies["csrftoken"], "Referer": "https://relais.example/login/",
            "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200  # the form again, with the refusal
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    with sqlite3.connect(tmp_path / "data" / "yiri.sqlite3") as db:
        ips = [row[0] for row in db.execute(
            "SELECT ip FROM audit_auditevent WHERE action = 'login_failed'")]
    assert ips == ["203.0.113.9"]


def _parent(proc_dir: Path) -> int | None:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None

