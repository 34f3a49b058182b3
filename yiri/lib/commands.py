"""The base of Yiri's management commands.

Django runs its system checks before every command unless told not to. They import the
whole URL configuration (every view, the API schema generator, numpy…) and cost about
0.75 s of CPU, twice what the command itself costs in the frequent cases: ``sync run``
from a scheduler every few minutes on an office laptop, ``node show``, and the hundreds
of commands the test suite runs against real nodes. The checks still run where they
matter: ``runserver`` (run.sh) runs them at start, ``scripts/serve.sh`` runs
``check --deploy`` before starting the production server, and ``manage.py check``
is there for anyone.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand


class YiriCommand(BaseCommand):
    requires_system_checks: list = []
