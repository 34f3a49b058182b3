"""Values an installation generates once and keeps in its data folder (never in the repo)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def generated_file(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """Read ``data_dir/name``, creating it readable by its owner only on first use."""
    path = Path(data_dir) / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()
