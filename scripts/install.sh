#!/usr/bin/env bash
# Shared by run.sh and test.sh: a virtual environment with Yiri and its dependencies,
# then compiled translations. Quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Yiri needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Dependencies come from the lock files (every release pinned with the sha256 of its files:
# an install gets exactly these bytes or stops), then Yiri itself without dependencies.
# After a change of the dependencies in pyproject.toml, refresh them: scripts/lock.sh.
lock=requirements.lock
[ "${1:-run}" = "test" ] && lock=requirements-dev.lock
stamp=.venv/.yiri-installed-$(cat pyproject.toml "$lock" | cksum | cut -d' ' -f1)-${1:-run}
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --require-hashes -r "$lock"
  .venv/bin/python -m pip install -q --no-deps -e .
  touch "$stamp"
fi
# Translations: compiled with Babel (a Python package) so gettext need not be installed.
if [ -d yiri/locale ]; then
  .venv/bin/pybabel -q compile -d yiri/locale -D django 2>/dev/null || .venv/bin/pybabel compile -d yiri/locale -D django
fi
