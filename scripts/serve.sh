#!/usr/bin/env bash
# Production start of a relay cell's or the national node's web server: gunicorn, several
# worker processes, listening on 127.0.0.1 only, behind a reverse proxy that ends TLS
# (nginx or Caddy: docs/production.md). Installs from the lock files, then refuses to
# start unless `manage.py check --deploy` is clean (set YIRI_HTTPS=1, YIRI_TLS_PROXY=1,
# YIRI_ALLOWED_HOSTS and DATABASE_URL: docs/production.md), applies the migrations,
# collects the static files and seeds the reference data, then runs gunicorn.
#
#   scripts/serve.sh                  # environment as in docs/production.md
#   scripts/serve.sh --no-install     # with an environment installed otherwise ($YIRI_PYTHON)
#
# YIRI_BIND (127.0.0.1:8000), YIRI_WORKERS (2 × cores + 1), YIRI_WORKER_TIMEOUT (60 s).
# --preload: Django is loaded once, before the workers are forked (they share its memory;
# no database connection is open at that point, so none is shared).
# The background jobs (scheduled sync and backups) run beside it: docs/production.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--no-install" ]; then
  PY=${YIRI_PYTHON:-python3}
else
  scripts/install.sh run
  PY=.venv/bin/python
fi
case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*) ;;
  *) if [ "${YIRI_SERVE_SQLITE:-0}" != "1" ]; then
       echo "scripts/serve.sh : DATABASE_URL doit désigner la base PostgreSQL (postgres://…)." >&2
       echo "(Un bureau sur SQLite se lance avec ./run.sh ; YIRI_SERVE_SQLITE=1 pour passer outre.)" >&2
       exit 1
     fi ;;
esac
"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0
"$PY" manage.py load_reference_data -v0
cores=$(nproc 2>/dev/null || echo 2)
# Each worker keeps its database connection between requests (checked before reuse) rather
# than opening one per request: a new PostgreSQL connection costs a server process.
export YIRI_DB_CONN_MAX_AGE=${YIRI_DB_CONN_MAX_AGE:-300}
exec "$PY" -m gunicorn yiri.wsgi:application \
  --bind "${YIRI_BIND:-127.0.0.1:8000}" \
  --workers "${YIRI_WORKERS:-$((2 * cores + 1))}" \
  --timeout "${YIRI_WORKER_TIMEOUT:-60}" \
  --graceful-timeout 30 \
  --max-requests 2000 --max-requests-jitter 200 \
  --preload \
  --umask 0077 \
  --no-control-socket \
  --name yiri
