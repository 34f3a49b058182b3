"""The sync digest, which two nodes compare to know they hold the same data, leaves out
the case's dashboard columns: each node works them out from the answers it holds when it
writes them, and they never travel."""

from yiri.cases.services import DASHBOARD_COLUMNS
from yiri.sync.scope import _DERIVED


def test_every_local_dashboard_column_is_left_out_of_the_digest():
    assert set(DASHBOARD_COLUMNS) <= _DERIVED
