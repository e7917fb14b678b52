"""Fuzzing the readers with damaged real alert packets: nothing crashes, nothing good is lost.

Every input is built from real ZTF and Rubin packets in ../shared/data: whole files (Avro
containers, Confluent wire packets) truncated or with bytes flipped, schemas whose field types
or fields change, cutouts that are missing, empty, junk, truncated, 0 x 0, oversized,
decompression bombs or full of infinities, damaged FITS bytes and damaged ``.npz`` stamp files.
Each property is checked on a few dozen examples (about a second each; ``SKRB_FUZZ_EXAMPLES``
asks for more), and must hold for all of them:

- the reader raises nothing but its own ``ReadError`` (only when nothing at all was readable);
- every undamaged alert read alongside is kept with the same pixels and metadata;
- every damaged input is accounted for: its alerts are in ``meta`` (with a ``status``) or the
  file is named in ``errors``; every message is one line.
"""

from __future__ import annotations

import copy
import gzip
import io
import os
import warnings

import fastavro
import numpy as np
import pytest
from _alert_files import avro_bytes, fits_bytes, gzip_bomb, set_cards
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skrb._panels import PANELS
from skrb.io import ReadError, ReadWarning, read_alerts, read_stamp_file
from skrb.io._avro import CUTOUT_FIELDS
from skrb.io._fitsio import SURVEY_MAX_SIDE, decode_fits_image

pytestmark = pytest.mark.shared_data

# A deeper run: SKRB_FUZZ_EXAMPLES=1000 pytest tests/test_io_fuzz.py
FUZZ = settings(
    max_examples=int(os.environ.get("SKRB_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _read(sources: list[bytes], **options):
    """read_alerts with warnings collected: each must be one ReadWarning line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        alerts = read_alerts(sources, on_error="warn", **options)
    for warning in caught:
        assert issubclass(warning.category, ReadWarning), warning
        assert "\n" not in str(warning.message)
    _check_messages(alerts)
    return alerts


def _damage(raw: bytes, data) -> bytes:
    """``raw`` truncated somewhere, or with a few bytes overwritten."""
    damaged = bytearray(raw)
    if data.draw(st.booleans(), label="truncate"):
        del damaged[data.draw(st.integers(0, len(damaged) - 1), label="cut at") :]
    else:
        flips = data.draw(
            st.lists(st.tuples(st.integers(0, len(damaged) - 1), st.integers(0, 255)), max_size=8),
            label="flips",
        )
        for position, value in flips:
            damaged[position] = value
    return bytes(damaged)


def _check_messages(alerts) -> None:
    for file, error in zip(alerts.errors["file"], alerts.errors["error"], strict=True):
        assert file.startswith("<bytes ") and error and "\n" not in error
    for status in alerts.meta["status"]:
        assert status and "\n" not in status
    assert not np.isinf(alerts.data).any()


def _rows(alerts, name: str) -> np.ndarray:
    return np.flatnonzero(np.asarray(alerts.meta["file"]) == name)


@pytest.fixture(scope="module")
def real(ztf_packets):
    """Real packets as bytes, their records, schema, and what read_alerts makes of each."""
    records, schema = ztf_packets
    raw = [avro_bytes(schema, [record]) for record in records]
    reference = read_alerts(raw)
    assert (reference.meta["status"] == "ok").all()
    return _Packets(raw=raw, records=records, schema=schema, reference=reference)


class _Packets(dict):
    """The real packets, shown briefly in hypothesis' reports of a failing example."""

    def __repr__(self) -> str:
        return f"<{len(self['raw'])} real alert packets>"


_ZTF_COLUMNS = ("candid", "jd", "magpsf", "isdiffpos", "status", "n_nonfinite")
_RUBIN_COLUMNS = ("diaSourceId", "midpointMjdTai", "psfFlux", "status", "n_nonfinite")


def _assert_good_kept(alerts, packets, positions: dict[str, int], columns=_ZTF_COLUMNS) -> None:
    """The undamaged packets (source name -> index in ``packets``) read exactly as alone."""
    reference = packets["reference"]
    for name, index in positions.items():
        (row,) = _rows(alerts, name)
        np.testing.assert_array_equal(alerts.data[row], reference.data[index])
        for column in columns:
            assert alerts.meta[column][row] == reference.meta[column][index], column


# --- whole files: truncations and byte flips --------------------------------------------------


@FUZZ
@given(data=st.data())
def test_truncated_or_flipped_files(real, data):
    index = data.draw(st.integers(0, len(real["raw"]) - 1), label="packet")
    damaged = _damage(real["raw"][index], data)
    good = [(index + 1) % 4, (index + 2) % 4]
    alerts = _read([real["raw"][good[0]], damaged, real["raw"][good[1]]])
    _assert_good_kept(alerts, real, {"<bytes 0>": good[0], "<bytes 2>": good[1]})
    accounted = set(alerts.meta["file"]) | set(alerts.errors["file"])
    assert "<bytes 1>" in accounted


# --- cutouts: missing, empty, junk, truncated, empty image, oversized, bombs, infinities ------


_BAD = {  # kind -> (FITS bytes or None, how the status for that panel starts)
    "none": (None, "missing {panel} cutout"),
    "empty": (b"", "missing {panel} cutout (0 bytes)"),
    "zero": (fits_bytes(np.zeros((0, 63), ">f4"), gz=True), "unreadable {panel} cutout: "),
    "naxis": (
        gzip.compress(set_cards(fits_bytes(np.ones((63, 63), ">f4")), NAXIS1=-1)),
        "unreadable {panel} cutout: invalid FITS header: NAXIS1 = -1",
    ),
    "bitpix": (
        set_cards(fits_bytes(np.ones((63, 63), ">f4")), BITPIX=17),
        "unreadable {panel} cutout: invalid FITS header: BITPIX = 17",
    ),
    "huge": (
        gzip.compress(set_cards(fits_bytes(np.ones((8, 8), ">f4")), NAXIS1=600, NAXIS2=600)),
        "unreadable {panel} cutout: the header claims a 600x600 pixel image",
    ),
    "bomb": (gzip_bomb(4 * 2**20), "unreadable {panel} cutout: the gzip stream inflates beyond"),
}
_GOOD = ("good", "plain", "inf", "bscale")


def _cutout(kind: str, original: bytes, panel: str, data) -> tuple[bytes | None, str, int]:
    """The stamp data of one kind, its status part ('' if fine) and its count of inf pixels."""
    if kind in _BAD:
        raw, status = _BAD[kind]
        return raw, status.format(panel=panel), 0
    if kind == "junk":
        junk = data.draw(st.binary(min_size=1, max_size=64), label="junk")
        return junk, f"unreadable {panel} cutout: ", 0
    if kind == "truncated":
        cut = data.draw(st.integers(1, len(original) - 9), label="gzip cut")
        return original[:cut], f"unreadable {panel} cutout: ", 0
    plain = gzip.decompress(original)
    if kind == "good":
        return original, "", 0
    if kind == "plain":
        return plain, "", 0
    image = decode_fits_image(plain).astype(">f4")
    if kind == "inf":
        n = data.draw(st.integers(1, 5), label="n inf")
        flat = image.reshape(-1)
        chosen = data.draw(
            st.lists(st.integers(0, flat.size - 1), min_size=n, max_size=n, unique=True),
            label="where",
        )
        flat[chosen] = np.where(np.arange(n) % 2, np.inf, -np.inf)
        return fits_bytes(image, gz=True), "", n
    counts = (np.arange(image.size).reshape(image.shape) % 3).astype(">i2")  # bscale
    return fits_bytes(counts, BSCALE=1e300), "", int((counts != 0).sum())


@FUZZ
@given(
    kinds=st.lists(st.sampled_from([*_BAD, "junk", "truncated", *_GOOD]), min_size=3, max_size=3),
    data=st.data(),
)
def test_odd_cutouts_give_a_status_and_lose_nothing(real, kinds, data):
    record = copy.deepcopy(real["records"][0])
    expected, n_inf = [], 0
    for panel, field, kind in zip(PANELS, CUTOUT_FIELDS, kinds, strict=True):
        raw, status, count = _cutout(kind, record[field]["stampData"], panel, data)
        record[field] = None if raw is None else {**record[field], "stampData": raw}
        expected.append(status)
        n_inf += count
    damaged = avro_bytes(real["schema"], [record, real["records"][1]])  # a good alert after it
    alerts = _read([damaged])
    assert len(alerts.meta) == 2
    status = alerts.meta["status"][0]
    wanted = [part for part in expected if part]
    if not wanted:
        assert status == "ok"
    else:
        assert status.startswith(wanted[0]), (status, wanted)
        position = 0
        for part in wanted:  # each panel's problem, in panel order, after a "; "
            position = status.find(part, position)
            assert position >= 0 and (position == 0 or status[position - 2 : position] == "; ")
        assert f"candid {record['candid']}: {status}" in list(alerts.errors["error"])
    assert alerts.meta["n_nonfinite"][0] == n_inf
    for panel, part in enumerate(expected):
        if part:
            assert np.isnan(alerts.data[0, panel]).all()
            assert tuple(alerts.meta["cutout_shape"][0, panel]) == (0, 0)
        elif kinds[panel] in ("good", "plain"):
            np.testing.assert_array_equal(alerts.data[0, panel], real["reference"].data[0, panel])
    np.testing.assert_array_equal(alerts.data[1], real["reference"].data[1])
    assert alerts.meta["status"][1] == "ok" and alerts.meta["n_nonfinite"][1] == 0


# --- schemas: field types that differ, fields that are gone ---------------------------------

_RETYPE = {
    "string": str,
    "long": lambda value: int(value) if np.isfinite(value) else 0,
    "double": float,
    "boolean": bool,
}


@FUZZ
@given(
    changes=st.dictionaries(
        st.sampled_from(["jd", "fid", "ra", "magpsf", "sigmapsf", "rb"]),
        st.sampled_from(sorted(_RETYPE)),
        min_size=1,
        max_size=3,
    ),
    drop=st.sampled_from([None, "candidate", *CUTOUT_FIELDS]),
)
def test_wrong_schemas_are_named_and_the_rest_read(real, changes, drop):
    schema = copy.deepcopy(real["schema"])
    record = copy.deepcopy(real["records"][0])
    (candidate,) = [f for f in schema["fields"] if f["name"] == "candidate"]
    for field in candidate["type"]["fields"]:
        if field["name"] in changes:
            field["type"] = changes[field["name"]]
            field.pop("default", None)
            value = record["candidate"][field["name"]]
            record["candidate"][field["name"]] = _RETYPE[changes[field["name"]]](value)
    if drop is not None:
        schema["fields"] = [f for f in schema["fields"] if f["name"] != drop]
        if drop == "cutoutScience":  # the named cutout type is defined there: define it next
            (nxt,) = [f for f in schema["fields"] if f["name"] == "cutoutTemplate"]
            (science,) = [f for f in real["schema"]["fields"] if f["name"] == "cutoutScience"]
            nxt["type"] = science["type"]
        record.pop(drop)
    damaged = avro_bytes(schema, [record])
    alerts = _read([real["raw"][1], damaged, real["raw"][2]])
    _assert_good_kept(alerts, real, {"<bytes 0>": 1, "<bytes 2>": 2})
    if drop is not None:
        assert list(alerts.errors["file"]) == ["<bytes 1>"]
        assert "alert packet" in alerts.errors["error"][0] and drop in alerts.errors["error"][0]
        return
    (row,) = _rows(alerts, "<bytes 1>")
    for name, kind in changes.items():
        column = alerts.meta[name]
        assert column.dtype.kind in "iuf", f"{name} turned into {column.dtype}"
        if kind in ("boolean", "string"):
            assert column.mask[row]
            assert any(f"field '{name}' is a" in e for e in alerts.errors["error"])
        else:
            assert column[row] == record["candidate"][name]


# --- the FITS decoder and stamp files on damaged bytes -----------------------------------------


@FUZZ
@given(data=st.data())
def test_fits_decoder_raises_only_value_errors(real, data):
    field = data.draw(st.sampled_from(CUTOUT_FIELDS), label="cutout")
    raw = bytearray(real["records"][data.draw(st.integers(0, 3))][field]["stampData"])
    if data.draw(st.booleans(), label="inflated first"):
        raw = bytearray(gzip.decompress(bytes(raw)))
    for position, value in data.draw(
        st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), max_size=6)
    ):
        raw[position] = value
    raw = raw[: data.draw(st.integers(1, len(raw)), label="keep")]
    try:
        image = decode_fits_image(bytes(raw), max_side=SURVEY_MAX_SIDE["ztf"])
    except ValueError as exc:
        assert "\n" not in " ".join(str(exc).split("\n")[:1]) and str(exc)
    else:
        assert image.dtype == np.float32 and image.ndim == 2
        assert 1 <= min(image.shape) and max(image.shape) <= SURVEY_MAX_SIDE["ztf"]


@pytest.fixture(scope="module")
def npz_bytes(real) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, X=real["reference"].data, y=np.arange(4) % 2)
    return buffer.getvalue()


@FUZZ
@given(data=st.data())
def test_damaged_stamp_files_raise_one_line_read_errors(tmp_path_factory, npz_bytes, data):
    raw = bytearray(npz_bytes)
    for position, value in data.draw(
        st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), max_size=6)
    ):
        raw[position] = value
    raw = raw[: data.draw(st.integers(0, len(raw)), label="keep")]
    path = tmp_path_factory.mktemp("npz") / "stamps.npz"
    path.write_bytes(bytes(raw))
    try:
        stamps = read_stamp_file(path)
    except ReadError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    else:
        assert stamps.data.shape[1] == 3 and not np.isinf(stamps.data).any()


def test_a_zero_first_byte_is_not_taken_for_a_rubin_packet(real):
    """A ZTF file whose first byte is damaged to 0 is named, not read as a Rubin wire packet."""
    damaged = b"\x00" + real["raw"][0][1:]
    alerts = _read([real["raw"][1], damaged])
    assert alerts.survey == "ztf" and list(alerts.errors["file"]) == ["<bytes 1>"]
    assert "not an alert packet" in alerts.errors["error"][0]
    _assert_good_kept(alerts, real, {"<bytes 0>": 1})


# --- Rubin (LSST) alerts: Avro containers and Confluent wire packets ---------------------------


@pytest.fixture(scope="module")
def rubin():
    """Three real Rubin alerts in Fink's Avro containers and one Confluent wire packet."""
    from conftest import shared_path

    root = shared_path("rubin_alerts")
    paths = [
        *sorted((root / "fink-broker-lsst7.4").glob("*.avro"))[:3],
        *sorted((root / "boom-wire").glob("*.avro"))[:1],
    ]
    raw = [path.read_bytes() for path in paths]
    reference = read_alerts(raw)
    assert reference.survey == "lsst" and (reference.meta["status"] == "ok").all()
    reader = fastavro.reader(io.BytesIO(raw[0]))
    schema = reader.writer_schema
    return _Packets(
        raw=raw,
        reference=reference,
        side=reference.data.shape[-1],
        schema=schema,
        record=next(reader),
    )


@FUZZ
@given(data=st.data())
def test_rubin_truncated_or_flipped_packets(rubin, data):
    index = data.draw(st.integers(0, len(rubin["raw"]) - 1), label="packet (3: wire)")
    damaged = _damage(rubin["raw"][index], data)
    good = [i for i in range(len(rubin["raw"])) if i != index]
    alerts = _read(
        [*(rubin["raw"][i] for i in good), damaged], survey="lsst", stamp_size=rubin["side"]
    )
    positions = {f"<bytes {k}>": i for k, i in enumerate(good)}
    _assert_good_kept(alerts, rubin, positions, _RUBIN_COLUMNS)
    name = f"<bytes {len(good)}>"
    assert name in set(alerts.meta["file"]) | set(alerts.errors["file"])


@FUZZ
@given(
    kinds=st.lists(
        st.sampled_from(["good", "none", "empty", "junk", "truncated", "huge", "bomb", "flipped"]),
        min_size=3,
        max_size=3,
    ),
    data=st.data(),
)
def test_rubin_odd_cutouts_give_a_status_and_lose_nothing(rubin, kinds, data):
    record = copy.deepcopy(rubin["record"])
    expected = []
    for panel, field, kind in zip(PANELS, CUTOUT_FIELDS, kinds, strict=True):
        original = record[field]
        if kind == "none":
            record[field], start = None, f"missing {panel} cutout"
        elif kind == "empty":
            record[field], start = b"", f"missing {panel} cutout (0 bytes)"
        elif kind == "junk":
            record[field] = data.draw(st.binary(min_size=1, max_size=64), label="junk")
            start = f"unreadable {panel} cutout: "
        elif kind == "truncated":
            record[field] = original[: data.draw(st.integers(1, 2880), label="cut")]
            start = f"unreadable {panel} cutout: "
        elif kind == "huge":
            record[field] = set_cards(original, NAXIS1=600, NAXIS2=600)
            start = f"unreadable {panel} cutout: "
        elif kind == "bomb":
            record[field] = _BAD["bomb"][0]
            start = f"unreadable {panel} cutout: the gzip stream inflates beyond"
        elif kind == "flipped":  # anything may come of it, but only for this alert
            flipped = bytearray(original)
            for position in data.draw(st.lists(st.integers(0, len(flipped) - 1), max_size=6)):
                flipped[position] ^= 0xFF
            record[field], start = bytes(flipped), None
        else:
            start = ""
        expected.append(start)
    damaged = avro_bytes(rubin["schema"], [record, rubin["record"]])  # a good alert after it
    variance = data.draw(st.booleans(), label="variance (Rubin's multi-HDU decoder)")
    alerts = _read([damaged], survey="lsst", stamp_size=rubin["side"], variance=variance)
    assert len(alerts.meta) == 2
    status = alerts.meta["status"][0]
    known = [part for part in expected if part]
    if all(part == "" for part in expected):
        assert status == "ok"
    for part in known:
        assert part in status, (status, part)
    if status != "ok":
        named = f"diaSourceId {record['diaSource']['diaSourceId']}: {status}"
        assert named in list(alerts.errors["error"])
    for panel, part in enumerate(expected):
        if part:
            assert np.isnan(alerts.data[0, panel]).all()
    np.testing.assert_array_equal(alerts.data[1], rubin["reference"].data[0])
    assert alerts.meta["status"][1] == "ok"
