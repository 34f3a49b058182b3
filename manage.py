#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    from yiri.lib.datadir import private_umask

    private_umask()  # the data folder is owner-only: so is every file a command writes
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiri.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
