"""The WSGI application, served in production by gunicorn (``scripts/serve.sh``)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from yiri.lib.datadir import private_umask
from yiri.lib.proxy import ProxiedClientAddress

private_umask()  # the data folder is owner-only: so is every file the server writes
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")
application = get_wsgi_application()
if settings.YIRI_TLS_PROXY:  # behind nginx or Caddy: the client's address, not the proxy's
    application = ProxiedClientAddress(application, settings.YIRI_PROXY_ADDRESSES)
