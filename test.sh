#!/usr/bin/env bash
# Install everything and run the whole test suite (on DATABASE_URL if set, else SQLite).
# Browser tests use Debian's chromium; it is installed with apt-get when possible.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install.sh test
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "WARNING: could not install chromium: browser tests will be SKIPPED."
  else
    echo "WARNING: /usr/bin/chromium is missing and cannot be installed here: browser tests will be SKIPPED."
  fi
fi
# Two workers (pytest-xdist): the suite starts real node processes and waits on them;
# YIRI_TEST_WORKERS=0 runs it in one process.
exec .venv/bin/python -m pytest -p no:cacheprovider -n "${YIRI_TEST_WORKERS:-2}" "$@"
