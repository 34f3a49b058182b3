#!/usr/bin/env bash
# Install everything and start Yiri on SQLite with demo data at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")"
scripts/install.sh run
export YIRI_DEBUG=${YIRI_DEBUG:-0}
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0  # hashed, compressed copies for slow links
.venv/bin/python manage.py load_reference_data
.venv/bin/python manage.py load_demo --if-empty
echo
echo "Yiri : http://127.0.0.1:8000  (Ctrl+C pour arrêter)"
if [ "${YIRI_2FA:-1}" != "0" ]; then
  echo "Première connexion d'un compte : activez la double authentification avec une application"
  echo "(FreeOTP, Aegis, Google Authenticator…). Démo locale sans téléphone : YIRI_2FA=0 ./run.sh"
fi
exec .venv/bin/python manage.py runserver 127.0.0.1:8000 --noreload
