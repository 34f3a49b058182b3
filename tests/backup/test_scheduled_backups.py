"""``manage.py backup --every INTERVAL --keep N`` makes a backup at each interval, verifies
it, then keeps this node's N newest, until it is stopped."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.sync.nodes import REPO


def test_scheduled_backups_go_on_and_keep_the_newest_two(office, tmp_path):
    folder = tmp_path / "scheduled"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "backup", "--out", str(folder), "--every", "1s",
         "--keep", "2"], cwd=REPO, env=office.env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600  # a bound on waiting, not a measure
        seen: set[str] = set()
        while len(seen) < 4 and time.monotonic() < deadline and proc.poll() is None:
            seen |= {p.name for p in folder.glob("*.ybk")}
            time.sleep(0.5)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert len(seen) >= 4, err
    assert out.count("Sauvegarde vérifiée : OK") >= 3
    assert "Ancienne sauvegarde supprimée" in out
    left = sorted(p.name for p in folder.glob("*.ybk"))
    seen |= set(left)
    # Rotation follows the verification of each new backup: stopped in between, the
    # round's new file is there beside the two kept.
    assert 2 <= len(left) <= 3
    assert left == sorted(seen)[-len(left):]  # the newest ones
