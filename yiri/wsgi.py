import os

from django.core.wsgi import get_wsgi_application

from yiri.lib.datadir import private_umask

private_umask()  # the data folder is owner-only: so is every file the server writes
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")
application = get_wsgi_application()
