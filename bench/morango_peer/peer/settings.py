"""Settings of one Morango node of the sync benchmark (Django 3.2, Morango 0.8.15).

One code base, two nodes: each process says which database it serves with ``PEER_DB``
(an SQLite file outside the repository, made by ``bench/morango_side.py``).
``PEER_GZIP=1`` puts Django's ``GZipMiddleware`` in front of Morango's API, so that pulled
buffers (JSON) are compressed when the client accepts it (``requests`` does); pushed
buffers Morango gzips itself. ``CommonMiddleware`` sets ``Content-Length``, without which
the development server closes the connection after each response (no keep-alive).
DEBUG is off: Django keeps no query log.
"""

import os
import secrets

# Given by bench/morango_side.py (generated for each run); a process started by hand gets a
# random one. Nothing in the repository is a key.
SECRET_KEY = os.environ.get("PEER_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "morango",
    "bench_case",
]

MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
if os.environ.get("PEER_GZIP") == "1":
    MIDDLEWARE.insert(0, "django.middleware.gzip.GZipMiddleware")

ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_DB", ":memory:"),
        "OPTIONS": {"timeout": 100},
    }
}

AUTH_USER_MODEL = "bench_case.BenchUser"
# A benchmark user signs the client's certificate request; fast hashing keeps setup short.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
