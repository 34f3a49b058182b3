"""The data folder (database, its WAL and shared-memory files, keys, backups) is readable
by its owner only: on a shared telecentre PC another account must not copy the database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run inside the data folder while a connection is open, so the -wal and -shm files exist.
WHILE_OPEN = """
import django, json, os, stat
from pathlib import Path
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS probe (x integer)")
    c.execute("INSERT INTO probe VALUES (1)")
modes = {str(p.relative_to(settings.DATA_DIR)): oct(stat.S_IMODE(p.stat().st_mode))
         for p in [settings.DATA_DIR, *Path(settings.DATA_DIR).rglob("*")]}
print(json.dumps(modes))
"""


def run(data_dir: Path, *args: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("YIRI_", "DATABASE_URL"))}
    environ.update({"YIRI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "yiri.settings"})
    # The usual umask of a desktop session: what made the database world-readable.
    out = subprocess.run([sys.executable, *args], env=environ, cwd=ROOT, capture_output=True,
                         text=True, preexec_fn=lambda: os.umask(0o022))
    assert out.returncode == 0, out.stderr
    return out.stdout


def modes_under(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): oct(stat.S_IMODE(p.stat().st_mode))
            for p in [folder, *folder.rglob("*")]}


def not_private(modes: dict[str, str]) -> dict[str, str]:
    return {name: mode for name, mode in modes.items()
            if int(mode, 8) & (stat.S_IRWXG | stat.S_IRWXO)}


def test_a_migrated_data_folder_is_readable_by_its_owner_only(tmp_path):
    data = tmp_path / "var"
    run(data, "manage.py", "migrate", "--noinput", "-v0")
    modes = modes_under(data)
    assert "yiri.sqlite3" in modes and "secret_key" in modes
    assert not_private(modes) == {}
    assert modes["."] == "0o700" and modes["yiri.sqlite3"] == "0o600"


def test_the_wal_and_shared_memory_files_are_private_while_the_database_is_open(tmp_path):
    import json

    data = tmp_path / "var"
    run(data, "manage.py", "migrate", "--noinput", "-v0")
    modes = json.loads(run(data, "-c", WHILE_OPEN).strip().splitlines()[-1])
    assert {"yiri.sqlite3-wal", "yiri.sqlite3-shm"} <= set(modes)
    assert not_private(modes) == {}


def test_files_written_later_by_a_command_are_private_too(tmp_path):
    data = tmp_path / "var"
    run(data, "manage.py", "collectstatic", "--noinput", "-v0")
    assert (data / "static").is_dir()
    assert not_private(modes_under(data)) == {}


def test_an_existing_world_readable_folder_is_tightened_at_start(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("yiri.sqlite3", "secret_key", "backup-2026-01-01.sqlite3"):
        (data / name).write_text("")
        (data / name).chmod(0o644)
    (data / "bundles").mkdir()
    (data / "bundles").chmod(0o755)
    run(data, "manage.py", "check", "-v0")
    assert not_private(modes_under(data)) == {}
