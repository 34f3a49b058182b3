"""Bandit, the static security checker, finds nothing of medium or high severity in Yiri.

A finding is fixed, or — where it is a false alarm — marked ``# nosec BXXX`` on its line
with the reason in a comment just above (e.g. a table name of Yiri's own models, quoted,
in an SQL string)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bandit(target: Path) -> list[dict]:
    """Bandit's medium and high findings (any confidence) over ``target``."""
    out = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(target), "-q", "-f", "json",
         "--severity-level", "medium"],
        capture_output=True, text=True, cwd=ROOT)
    assert out.returncode in (0, 1), out.stderr  # 1: findings; anything else: bandit failed
    report = json.loads(out.stdout)
    assert not report["errors"], report["errors"]
    return report["results"]


def test_bandit_finds_no_medium_or_high_issue_in_yiri():
    findings = bandit(ROOT / "yiri")
    assert not findings, "\n".join(
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_severity']}: "
        f"{f['issue_text']}" for f in findings)


def test_the_check_does_find_a_shell_command_built_from_input(tmp_path):
    (tmp_path / "bad.py").write_text(
        "import subprocess\n\ndef run(name):\n"
        "    return subprocess.call('ls ' + name, shell=True)\n")
    findings = bandit(tmp_path)
    assert {f["test_id"] for f in findings} == {"B602"}
