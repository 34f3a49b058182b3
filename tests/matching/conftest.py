from __future__ import annotations

import pytest

from yiri.matching import pprl


@pytest.fixture(autouse=True)
def _reference_key_in_a_temporary_folder(settings, tmp_path):
    # The node's reference key is made outside the developer's data folder.
    settings.YIRI_PPRL_REFERENCE_KEY_FILE = tmp_path / "pprl_reference_key"


@pytest.fixture
def secret_file(tmp_path):
    """A shared secret in a file outside the repository and the data folder."""
    return pprl.generate_secret(tmp_path / "secret-partage.txt")
