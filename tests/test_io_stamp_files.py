"""skrb.io.read_stamp_file (.npz/.npy) and how the command line reports its errors and caps."""

from __future__ import annotations

import numpy as np
import pytest

from skrb.cli import build_parser, main
from skrb.cli._data import load_dataset
from skrb.io import ReadError, read_stamp_file


@pytest.fixture
def stamps(point_stamps) -> tuple[np.ndarray, np.ndarray]:
    return point_stamps[0][:40], point_stamps[1][:40]  # read-only


def test_reads_npz_npy_and_flattened(tmp_path, stamps):
    X, y = stamps
    np.savez_compressed(tmp_path / "s.npz", X=X, y=y)
    np.save(tmp_path / "s.npy", X.reshape(40, -1).astype("f8"))
    from_npz = read_stamp_file(tmp_path / "s.npz")
    from_npy = read_stamp_file(tmp_path / "s.npy")
    np.testing.assert_array_equal(from_npz.data, X)
    np.testing.assert_array_equal(from_npy.data, X)
    assert from_npz.data.dtype == np.float32 and from_npy.target is None
    np.testing.assert_array_equal(from_npz.target, y)
    assert list(from_npz.meta["index"]) == list(range(40))
    assert (from_npz.meta["n_nonfinite"] == 0).all()


def test_infinite_pixels_are_masked_and_counted(tmp_path, stamps):
    X, y = stamps
    X = X.astype("f8")
    X[3, 0, 0, 0], X[3, 1, 1, 1], X[7, 2, 2, 2] = np.inf, -np.inf, 1e300  # 1e300: beyond f4
    np.savez(tmp_path / "inf.npz", X=X, y=y)
    read = read_stamp_file(tmp_path / "inf.npz")
    assert read.meta["n_nonfinite"][3] == 2 and read.meta["n_nonfinite"][7] == 1
    assert read.meta["n_nonfinite"].sum() == 3
    assert not np.isinf(read.data).any() and np.isnan(read.data[7, 2, 2, 2])
    np.testing.assert_array_equal(read.data[0], X[0].astype("f4"))


class _Payload:
    """Unpickling this would create a file: the reader must never unpickle."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_objects_are_refused_unrun(tmp_path):
    marker = tmp_path / "pwned"
    objects = np.empty((2, 3, 2, 2), dtype=object)
    objects[...] = _Payload(str(marker))
    np.savez(tmp_path / "evil.npz", X=objects)
    with pytest.raises(ReadError, match=r"evil\.npz: .*Python objects, which are never unpickled"):
        read_stamp_file(tmp_path / "evil.npz")
    assert not marker.exists()
    with open(tmp_path / "evil.npy", "wb") as handle:
        np.lib.format.write_array(handle, objects, allow_pickle=True)
    with pytest.raises(ReadError, match="never unpickled"):
        read_stamp_file(tmp_path / "evil.npy")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"X": np.zeros((4, 2, 5, 5))}, r"shape \(4, 2, 5, 5\); expected \(n_samples, 3, H, W\)"),
        ({"X": np.zeros((4, 5, 5))}, r"shape \(4, 5, 5\)"),
        ({"X": np.zeros((0, 3, 5, 5))}, r"shape \(0, 3, 5, 5\)"),
        ({"X": np.zeros((4, 74))}, "74 values are not 3 square stamps"),
        ({"X": np.zeros((4, 3, 5, 5), complex)}, "dtype complex128; expected real numbers"),
        ({"X": np.full((4, 3, 2, 2), "a")}, "dtype <U1"),
        ({"X": np.zeros((4, 3, 5, 5)), "y": np.zeros(3)}, r"labels are of shape \(3,\)"),
        ({"X": np.zeros((4, 3, 5, 5)), "y": np.zeros((4, 2))}, r"shape \(4, 2\)"),
        ({"images": np.zeros((4, 3, 5, 5))}, r"holds arrays \['images'\]; expected stamp sets"),
    ],
)
def test_wrong_contents_get_one_line_errors(tmp_path, arrays, match):
    path = tmp_path / "odd.npz"
    np.savez(path, **arrays)
    with pytest.raises(ReadError, match=match) as caught:
        read_stamp_file(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_truncated_and_missing_files(tmp_path, stamps, capsys):
    X, y = stamps
    np.savez_compressed(tmp_path / "s.npz", X=X, y=y)
    raw = (tmp_path / "s.npz").read_bytes()
    for cut in (len(raw) // 2, 200, 30):
        (tmp_path / "cut.npz").write_bytes(raw[:cut])
        with pytest.raises(ReadError, match=r"cut\.npz: not a readable \.npz/\.npy stamp file"):
            read_stamp_file(tmp_path / "cut.npz")
        assert main(["compare", "--stamps", str(tmp_path / "cut.npz")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cut.npz" in err[0] and "Traceback" not in err[0]
    with pytest.raises(FileNotFoundError, match="No such stamp file"):
        read_stamp_file(tmp_path / "none.npz")


def test_cli_notes_a_capped_n_samples(tmp_path, stamps, capsys):
    X, y = stamps
    np.savez(tmp_path / "s.npz", X=X, y=y)
    for n, expected in ((1000, 40), (10, 10)):
        args = build_parser().parse_args(
            ["compare", "--stamps", str(tmp_path / "s.npz"), "--n-samples", str(n)]
        )
        assert len(load_dataset(args, default_n_samples=5).X) == expected
        err = capsys.readouterr().err.strip().splitlines()
        assert err == (
            ["skrb: note: --n-samples 1000 is more than the 40 stamp sets read; using all of them."]
            if n == 1000
            else []
        )


@pytest.mark.parametrize("command", ["compare", "explain"])
def test_cli_refuses_a_negative_n_examples(tmp_path, command, capsys):
    argv = [command, "--n-examples", "-1"]
    if command == "explain":
        argv += ["-o", str(tmp_path), "--model-file", "m.joblib"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "--n-examples: expected a positive integer; got -1" in capsys.readouterr().err
