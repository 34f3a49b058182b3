"""The data folder: values an installation generates once (never in the repo), and the rule
that everything in it is readable by its owner only.

On a shared telecentre PC other accounts must not be able to copy the database, its WAL,
the keys, backups or sync bundles. Three layers keep it so, because files reach the folder
by different routes:

* ``private_umask()`` at the start of every entry point (manage.py, wsgi, asgi): whatever
  Yiri writes later (backups, bundles, collectstatic) is created owner-only;
* ``prepare_data_dir()`` when the settings load: the folder is made 700 and files left
  readable by an older version or another tool are tightened; the SQLite file is created
  empty with mode 600 before SQLite opens it, and SQLite gives its ``-wal``, ``-shm`` and
  ``-journal`` files the mode of the database file;
* ``tighten_sqlite_files()`` on every new connection (network app): a database file that
  appeared by another route (restored by hand, made by a process with a loose umask) is
  made private before any answer is written to it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

PRIVATE_UMASK = 0o077
_OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_umask() -> None:
    """Make every file this process creates from now on owner-only."""
    os.umask(PRIVATE_UMASK)


def generated_file(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """Read ``data_dir/name``, creating it readable by its owner only on first use."""
    path = Path(data_dir) / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def _make_private(path: Path) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:  # removed meanwhile (a WAL file after a checkpoint)
        return
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.getuid():
        return  # not ours to change; links are followed by nobody here
    if st.st_mode & _OPEN_TO_OTHERS:
        path.chmod(stat.S_IMODE(st.st_mode) & ~_OPEN_TO_OTHERS)


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the data folder owner-only (700) and take group and other rights off what
    sits directly in it (database, keys, backups, the folders of files). Returns the folder.

    Deeper files are not visited: with the folder at 700 nobody else can reach them, and a
    node holding thousands of attachments must not walk them at every start.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _make_private(data_dir)
    for entry in data_dir.iterdir():
        _make_private(entry)
    return data_dir


def private_sqlite_file(path: Path) -> None:
    """Create an empty SQLite database file with mode 600 if there is none yet (an empty
    file is a valid empty database); SQLite then creates its side files with that mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def tighten_sqlite_files(path: Path) -> None:
    """Take group and other rights off a SQLite database and its side files."""
    for suffix in SQLITE_SUFFIXES:
        _make_private(Path(f"{path}{suffix}"))
