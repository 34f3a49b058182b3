#!/usr/bin/env bash
# Regenerate the lock files that scripts/install.sh installs from, after a change of the
# dependencies in pyproject.toml (or to take newer releases: add --upgrade, or
# --upgrade-package NAME). Every release is pinned with the sha256 of each of its files,
# so an install gets exactly these bytes or stops.
#
#   scripts/lock.sh                       # requirements.lock and requirements-dev.lock
#   scripts/lock.sh --upgrade-package django
#
# Run it with Python 3.11 (the oldest Python Yiri supports; the lock is resolved for the
# interpreter that runs it). It needs pip-tools, installed into a throwaway venv here. The
# machine's pip configuration (extra indexes, local wheel folders, constraints) is set
# aside: the lock names only releases of the public index, so that it installs anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CONSTRAINT PIP_NO_INDEX
"$PY" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install -q pip-tools
export CUSTOM_COMPILE_COMMAND="scripts/lock.sh"
compile() {
  "$tools/venv/bin/pip-compile" -q --generate-hashes --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links "$@"
}
compile -o requirements.lock pyproject.toml "${@}"
# The dev lock takes the same versions for what both hold (constrained by the first).
compile --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml "${@}"
echo "requirements.lock and requirements-dev.lock written; commit them with pyproject.toml."
