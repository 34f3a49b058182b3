"""With no environment set, Yiri makes its own secret key and node id and runs SQLite in WAL."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode")
    mode = c.fetchone()[0]
print(json.dumps({"mode": mode, "node": settings.YIRI_NODE_ID, "kind": settings.YIRI_NODE_KIND,
                  "key": settings.SECRET_KEY, "db": str(settings.DATABASES["default"]["NAME"])}))
"""


def probe(data_dir: Path, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("YIRI_", "DATABASE_URL"))}
    environ.update({"YIRI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "yiri.settings", **env})
    out = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_first_run_generates_a_private_secret_key_and_node_id(tmp_path):
    first = probe(tmp_path)
    for name in ("secret_key", "node_id"):
        path = tmp_path / name
        assert path.exists()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["key"] == (tmp_path / "secret_key").read_text().strip()
    assert probe(tmp_path) == first  # kept across restarts


def test_sqlite_runs_in_wal_mode_under_the_data_dir(tmp_path):
    result = probe(tmp_path)
    assert result["mode"] == "wal"
    assert result["db"].startswith(str(tmp_path))
    assert result["kind"] == "office"


def test_the_environment_overrides_the_generated_values(tmp_path):
    result = probe(tmp_path, YIRI_SECRET_KEY="k" * 60, YIRI_NODE_ID="node-x", YIRI_NODE_KIND="relay")
    assert (result["key"], result["node"], result["kind"]) == ("k" * 60, "node-x", "relay")
    assert not (tmp_path / "secret_key").exists()


def test_an_unknown_node_kind_is_refused_with_a_message(tmp_path):
    environ = {**os.environ, "YIRI_DATA_DIR": str(tmp_path), "YIRI_NODE_KIND": "laptop"}
    out = subprocess.run([sys.executable, "-c", "import yiri.settings"], env=environ,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode != 0 and "YIRI_NODE_KIND must be office, relay or national" in out.stderr
