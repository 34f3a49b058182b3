"""Field clocks are stored compactly: a case with 14 subform rows takes at least five
times less room than the flat map of string stamps it replaced."""

from __future__ import annotations

import json
import uuid

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import make_case
from yiri.cases.services import update_record
from yiri.sync.fieldclock import FieldClock, encode

OLD_STAMP = "1764000000000.00000." + str(uuid.uuid4())  # 56 characters, as before


def test_a_case_with_fourteen_rows_keeps_its_stamps_at_least_five_times_smaller(cast):
    row = {"service_type": "health", "provider_name": "CSPS Kaya", "implemented": False,
           "appointment_date": "2026-02-01"}
    case = make_case(cast.worker, services=[dict(row) for _ in range(8)])
    case = update_record(cast.worker, case, {"services": [
        dict(row, service_type="legal") for _ in range(6)]})
    clock = FieldClock(case.field_clock)
    paths = [p for p, _ in clock.items()]
    assert len([p for p in paths if p.count("/") == 2]) > 14
    old = json.dumps({p: OLD_STAMP for p in paths})
    new = json.dumps(case.field_clock)
    assert len(old) >= 5 * len(new), (len(old), len(new))


paths = st.one_of(
    st.sampled_from(["sex", "age", "@owner", "@status", "risk_level"]),
    st.tuples(st.sampled_from(["services", "followups"]),
              st.sampled_from([str(uuid.UUID(int=i)) for i in range(4)]),
              st.sampled_from(["_id", "service_type", "implemented", "_deleted"])).map("/".join),
)


@given(st.dictionaries(paths, st.integers(min_value=1, max_value=2**62), max_size=40))
def test_any_field_clock_reads_back_as_written(stamps):
    assert FieldClock(encode(stamps)).stamps == stamps
