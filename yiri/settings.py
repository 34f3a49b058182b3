"""Yiri settings, driven by environment variables.

With nothing set, Yiri runs as an office node on SQLite (WAL mode) under ./var and
generates its secret key and node id there on first run, so no secret is ever committed.

Environment:
    DATABASE_URL      e.g. postgres://postgres@127.0.0.1:5432/yiri (default: SQLite in the data dir)
    YIRI_DATA_DIR     where the database, keys and node id live (default: ./var)
    YIRI_SECRET_KEY   overrides the generated secret key file
    YIRI_INDEX_KEY_FILE file holding the search index key (default: DATA_DIR/search_index_key,
                      created owner-only on first use; see yiri/cases/blind_index.py)
    YIRI_NODE_KIND    office | relay | national (default: as ``manage.py node init`` set it, else office)
    YIRI_NODE_ID      overrides the generated node id
    YIRI_NODE_CODE    short prefix of this node's human-readable record ids
    YIRI_SYNC_MAX_CLOCK_AHEAD  seconds a remote change may be dated ahead (default 86400)
    YIRI_SYNC_FORWARD 0 to stop a relay passing on at once what its children push (default 1)
    YIRI_DEBUG        1 to enable Django's debug mode (never on a real deployment)
    YIRI_HTTPS        1 when served over HTTPS: redirect, HSTS, cookies on HTTPS only
    YIRI_TLS_PROXY    1 behind a reverse proxy ending TLS (trusts X-Forwarded-Proto, and
                      X-Forwarded-For from YIRI_PROXY_ADDRESSES, default 127.0.0.1,::1)
    YIRI_DB_CONN_MAX_AGE  seconds a process keeps its database connection (0; serve.sh: 300)
    YIRI_SESSION_SECONDS  idle timeout of a session, in seconds (default 1800)
    YIRI_SESSION_MAX_HOURS  absolute lifetime of a session after sign-in (default 12)
    YIRI_2FA          0 to turn two-factor sign-in off, for a local demo only (default 1)
    YIRI_REAUTH_MINUTES  how recent a confirmation of identity must be before an export, a
                      role change or an erasure (default 5)
    YIRI_ALLOWED_HOSTS comma-separated host names
    YIRI_ATTACHMENT_MAX_MB largest photo or document accepted, in megabytes (default: 8)
    YIRI_RETENTION_YEARS years a closed case is kept before ``manage.py retention`` proposes
                      its erasure (default 10)
    YIRI_LOCKOUT_FAILURES / YIRI_LOCKOUT_MINUTES / YIRI_LOCKOUT_ADDRESS_FAILURES  sign-in
                      throttling: failures before waits start (6), longest wait (30),
                      failures allowed from one client address (30)
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from pathlib import Path

import dj_database_url

from yiri.lib.datadir import generated_file, prepare_data_dir, private_sqlite_file

BASE_DIR = Path(__file__).resolve().parent.parent
# Owner-only (700, files 600): see yiri/lib/datadir.py for the three layers that keep it so.
DATA_DIR = prepare_data_dir(Path(os.environ.get("YIRI_DATA_DIR", BASE_DIR / "var")).resolve())


SECRET_KEY = os.environ.get("YIRI_SECRET_KEY") or generated_file(
    DATA_DIR, "secret_key", lambda: secrets.token_urlsafe(50)
)
DEBUG = os.environ.get("YIRI_DEBUG") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("YIRI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

# ``manage.py node init`` writes the node's kind and name in the data folder (``node.json``);
# the environment overrides the kind (tests, a node run by hand).
try:
    _NODE_INFO = json.loads((DATA_DIR / "node.json").read_text())
except (FileNotFoundError, ValueError):
    _NODE_INFO = {}
YIRI_NODE_KIND = os.environ.get("YIRI_NODE_KIND") or _NODE_INFO.get("kind") or "office"
if YIRI_NODE_KIND not in {"office", "relay", "national"}:
    raise RuntimeError("YIRI_NODE_KIND must be office, relay or national")
YIRI_NODE_ID = os.environ.get("YIRI_NODE_ID") or generated_file(
    DATA_DIR, "node_id", lambda: str(uuid.uuid4())
)
YIRI_NODE_CODE = os.environ.get("YIRI_NODE_CODE") or YIRI_NODE_ID.replace("-", "")[:5].upper()
# Operations from another node dated further ahead than this (seconds) are quarantined.
YIRI_SYNC_MAX_CLOCK_AHEAD = int(os.environ.get("YIRI_SYNC_MAX_CLOCK_AHEAD", str(24 * 3600)))
# The audit chain's head is signed (a checkpoint) every this many events, or daily.
YIRI_AUDIT_CHECKPOINT_EVERY = int(os.environ.get("YIRI_AUDIT_CHECKPOINT_EVERY", "1000"))
# A node with a parent passes on at once what its children push (``sync.runs.forward``).
YIRI_SYNC_FORWARD = os.environ.get("YIRI_SYNC_FORWARD", "1") != "0"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "yiri.network",
    "yiri.accounts",
    "yiri.formconfig",
    "yiri.sync",
    "yiri.cases",
    "yiri.audit",
    "yiri.backup",
    "yiri.workflow",
    "yiri.attachments",
    "yiri.demo",
    "yiri.dashboards",
    "yiri.matching",
    "yiri.directory",
    "yiri.imports",
    "yiri.jobs",
    "yiri.web",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "yiri.sync.views.NodeWireMiddleware",  # answers between nodes: no browser-only headers
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files leave already compressed); see yiri/web/compression.py
    # for why pages are compressed only for requests made from Yiri's own pages (BREACH).
    "yiri.web.compression.SameOriginGZipMiddleware",
    "yiri.api.errors.BodySizeMiddleware",  # an API body over the limit: a JSON 413
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    # no-store, Content-Security-Policy, absolute session lifetime: yiri/web/security.py
    "yiri.web.security.SecurityHeadersMiddleware",
    # A session without its second factor reaches only the two-factor pages and logout
    # (yiri/accounts/two_factor.py).
    "yiri.accounts.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "yiri.audit.context.ActorMiddleware",
]

ROOT_URLCONF = "yiri.urls"
WSGI_APPLICATION = "yiri.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'yiri.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
# Seconds a database connection is kept for the next request of the same process (0: one per
# request). scripts/serve.sh sets 300 for gunicorn's workers; checked before each reuse.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("YIRI_DB_CONN_MAX_AGE", "0"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the name search's queries are priced high enough to trigger it
    # and spent 6-7 ms each compiling for plans that run in tens of milliseconds
    # (bench/README.md, the search at 1,000,000 cases).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(filter(None, [_options.get("options", ""), "-c jit=off"]))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while a writer commits; IMMEDIATE avoids
        # "database is locked" upgrades when two requests write at once. secure_delete:
        # what is deleted or overwritten is zeroed in the file, so an erased child's name
        # does not linger in free space (``cases/erasure.py`` then empties the WAL).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            " PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("YIRI_TEST_DB") or None}
    _sqlite_file = Path(str(DATABASES["default"]["NAME"]))
    if _sqlite_file.is_absolute() and _sqlite_file.parent.is_dir():
        private_sqlite_file(_sqlite_file)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["yiri.accounts.backends.LockoutBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Shared PCs: sessions end after 30 minutes without activity and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("YIRI_SESSION_SECONDS", "1800"))
# The expiry is pushed on by activity at most once a minute (yiri/web/security.py
# keep_alive), not by writing the session at every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# However active, a session ends this many hours after its sign-in (yiri/web/security.py).
YIRI_SESSION_MAX_HOURS = int(os.environ.get("YIRI_SESSION_MAX_HOURS", "12"))
# Two-factor sign-in (TOTP, yiri/accounts/two_factor.py) for every role that can read
# identifying data. YIRI_2FA=0 turns it off for a local demo only: `check --deploy` warns.
YIRI_2FA = os.environ.get("YIRI_2FA", "1") != "0"
OTP_TOTP_ISSUER = "Yiri"
# Wrong codes are counted by Yiri's own throttle, like wrong passwords (atomic, per account,
# address or trusted PC); django-otp's per-device delay on top would refuse a right code
# typed just after a wrong one.
OTP_TOTP_THROTTLE_FACTOR = 0
# Before a bulk export, a role change or an erasure: password (and code) given again within
# this many minutes (yiri/accounts/reauth.py).
YIRI_REAUTH_MINUTES = int(os.environ.get("YIRI_REAUTH_MINUTES", "5"))

# Served over HTTPS (YIRI_HTTPS=1, every real deployment): HTTP is redirected to HTTPS,
# browsers are told to use nothing else for a year (HSTS), cookies travel on HTTPS only,
# and `manage.py check --deploy` has nothing to say. Off by default because an office
# server reached as http://127.0.0.1 or over a LAN without a certificate would otherwise
# refuse every sign-in. Behind a reverse proxy that ends TLS, YIRI_TLS_PROXY=1 trusts its
# X-Forwarded-Proto header (only then: a client could send it itself).
YIRI_HTTPS = os.environ.get("YIRI_HTTPS") == "1"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
if YIRI_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("YIRI_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("YIRI_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("YIRI_HSTS_PRELOAD", "1") == "1"  # the directive only
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    if os.environ.get("YIRI_TLS_PROXY") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind that proxy the client's address is the last of X-Forwarded-For, trusted only from
# the proxy's own addresses (yiri/lib/proxy.py, applied by yiri/wsgi.py).
YIRI_TLS_PROXY = os.environ.get("YIRI_TLS_PROXY") == "1"
YIRI_PROXY_ADDRESSES = os.environ.get("YIRI_PROXY_ADDRESSES", "127.0.0.1,::1").split(",")
YIRI_API_TOKEN_HOURS = int(os.environ.get("YIRI_API_TOKEN_HOURS", "12"))
# Sign-in throttling (accounts/throttle.py): past this many wrong passwords in a row an
# account waits 1, 2, 4… minutes before the next attempt is examined, at most
# YIRI_LOCKOUT_MINUTES; one client address may make YIRI_LOCKOUT_ADDRESS_FAILURES (an office
# shares one address). A browser where the user signed in before is not held by either.
YIRI_LOCKOUT_FAILURES = int(os.environ.get("YIRI_LOCKOUT_FAILURES", "6"))
YIRI_LOCKOUT_MINUTES = int(os.environ.get("YIRI_LOCKOUT_MINUTES", "30"))
YIRI_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("YIRI_LOCKOUT_ADDRESS_FAILURES", "30"))

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "yiri" / "locale"]
TIME_ZONE = "Africa/Ouagadougou"
USE_I18N = True
USE_TZ = True

# Django's storages chmod what they save (0o644 by default, whatever the umask): uploads
# and collected files live in the owner-only data folder, so they are owner-only too.
# Attached files (photos, scanned documents): bytes in the data folder, never in the
# database; the largest accepted upload in megabytes. Uploads too big to be held in memory
# are spooled inside the data folder (owner-only), not in the machine's shared /tmp.
# The dashboard's covering index (cases/models.py) lists non-key columns that only
# PostgreSQL uses (INCLUDE); on SQLite Django leaves them out, as wanted: not a warning.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
YIRI_ATTACHMENTS_DIR = DATA_DIR / "attachments"
# Background jobs (yiri/jobs): queued in this database by django-tasks' database backend.
# The server starts a worker process itself when a job is queued (an office laptop runs
# run.sh only); YIRI_JOBS_START_WORKER=0 where `manage.py db_worker` runs on its own.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
YIRI_JOBS_START_WORKER = os.environ.get("YIRI_JOBS_START_WORKER", "1") != "0"
YIRI_JOBS_DIR = DATA_DIR / "jobs"
# How long an export's encrypted file is kept for its owner to download (then deleted).
YIRI_EXPORT_KEEP_HOURS = int(os.environ.get("YIRI_EXPORT_KEEP_HOURS", "24"))
# An import file larger than this is checked and imported as a background job (imports/jobs.py).
YIRI_IMPORT_BACKGROUND_BYTES = int(os.environ.get("YIRI_IMPORT_BACKGROUND_BYTES", "200000"))
# The key of the blind search index (yiri/cases/blind_index.py); None: DATA_DIR/search_index_key.
YIRI_INDEX_KEY_FILE = os.environ.get("YIRI_INDEX_KEY_FILE") or None
# The keys of encryption at rest (master key file, key store): never in the database
# (yiri/cases/keys.py). YIRI_KEY_FILE may name the master key file elsewhere.
YIRI_KEYS_DIR = DATA_DIR / "keys"
YIRI_ATTACHMENT_MAX_MB = int(os.environ.get("YIRI_ATTACHMENT_MAX_MB", "8"))
# Retention of closed cases (``cases/erasure.py``): a case closed this many years ago is
# past retention, and ``manage.py retention --propose`` asks for its erasure (which a
# second person must still approve). Ten years: a child's file kept well past majority for
# a follow-up or a judicial request, then erased; a network sets its own rule here.
YIRI_RETENTION_YEARS = int(os.environ.get("YIRI_RETENTION_YEARS", "10"))
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(mode=0o700, exist_ok=True)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_HANDLERS = [
    "yiri.attachments.uploads.SizeLimitUploadHandler",  # a file over the limit is never kept
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(mode=0o700, exist_ok=True)
# Every asset is served by the app itself (no CDN). On a 2G link each byte counts:
# collectstatic (run.sh) writes each file under a name carrying a hash of its content and a
# gzip copy beside it; pages refer to the hashed names (the manifest), and WhiteNoise sends
# the gzip copy with "Cache-Control: max-age=315360000, public, immutable", so a browser
# fetches each version of a file once. Only in development (YIRI_DEBUG=1) are files found
# in the apps as they are, unhashed and uncompressed, so edits show without collectstatic.
# The tests collect once per run (tests/conftest.py) and so run the production storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    if DEBUG else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API tokens are kept as hashes and expire (YIRI_API_TOKEN_HOURS): accounts/tokens.py.
        "yiri.api.common.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "yiri.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "yiri.api.errors.exception_handler",
    # JSON nested too deep is a 400, not a RecursionError (yiri/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "yiri.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # OPTIONS names the methods and formats; the fields are in the OpenAPI document.
    "DEFAULT_METADATA_CLASS": "yiri.api.pagination.Metadata",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yiri API",
    "DESCRIPTION": "Case management for child protection networks. Token authentication: "
    "send `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for signed-in users (token or site session).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Logs carry ids and actions, never names or answers about a child.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
