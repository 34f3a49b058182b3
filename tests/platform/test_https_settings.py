"""``YIRI_HTTPS=1`` (every real deployment) turns on what ``check --deploy`` asks for:
HSTS, the redirect to HTTPS, session and CSRF cookies sent over HTTPS only.

The attack this answers: ``check --deploy`` gave four warnings that no setting could
silence, and cookies lacked ``Secure``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS")}))
"""


def run(data_dir: Path, args: list[str], **env) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests; never in a deployment.
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("YIRI_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))}
    environ.update({"YIRI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "yiri.settings", **env})
    return subprocess.run([sys.executable, *args], env=environ, capture_output=True, text=True,
                          cwd=ROOT)


def test_check_deploy_has_nothing_to_say_with_yiri_https(tmp_path):
    out = run(tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
              YIRI_HTTPS="1")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_without_yiri_https_check_deploy_names_what_is_missing(tmp_path):
    out = run(tmp_path, ["manage.py", "check", "--deploy"])
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in out.stdout + out.stderr


def test_with_yiri_https_every_cookie_is_secure_and_http_redirects(tmp_path):
    out = run(tmp_path, ["-c", PROBE], YIRI_HTTPS="1")
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["LANGUAGE_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax" and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
