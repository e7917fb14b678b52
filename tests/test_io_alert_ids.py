"""Alert ids stay exact 64-bit integers whatever the other rows hold."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from skrb.io import alerts_from_records

PANELS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
BIG = 1_234_567_890_123_456_789  # a ZTF candid / Rubin diaSourceId size: not a float64


def _cutout(side: int) -> bytes:
    buffer = io.BytesIO()
    fits.PrimaryHDU(np.ones((side, side), dtype=">f4")).writeto(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bases():
    return {
        "candid": {"objectId": "ZTF", **dict.fromkeys(PANELS, gzip.compress(_cutout(63)))},
        "diaSourceId": {"band": "g", **dict.fromkeys(PANELS, _cutout(30))},
    }


@pytest.mark.parametrize("key", ["candid", "diaSourceId"])
def test_a_float_id_in_one_row_does_not_round_the_others(bases, key):
    # a float in one row turned the column into float64: every id rounded, silently
    rows = [dict(bases[key], **{key: value}) for value in (BIG, 1.5, float("nan"), 7.0, BIG + 1)]
    alerts = alerts_from_records(rows, on_error="skip")
    ids = alerts.meta[key]
    assert ids.dtype == np.int64
    assert [int(ids[0]), int(ids[3]), int(ids[4])] == [BIG, 7, BIG + 1]
    assert list(ids.mask) == [False, True, True, False, False]
    (reason,) = [str(error) for error in alerts.errors["error"]]  # NaN: absent, not wrong
    assert f"field {key!r} is a float (1.5)" in reason and "an integer; masked" in reason
