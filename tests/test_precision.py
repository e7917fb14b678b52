"""``dtype_policy="auto"``: bfloat16 exactly where the hardware computes it natively."""

from __future__ import annotations

import pytest

from skrb.models import DIAClassifier, NoDIAClassifier, _precision, cpu_flags, resolve_dtype_policy
from skrb.preprocessing import StampStacker

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu sse2 avx2 avx512f {extra}
bugs\t\t: spectre_v1
"""


@pytest.fixture
def mocked_cpu(monkeypatch, tmp_path):
    """Pretend to run on a CPU with the given extra flags and no GPU."""

    def use(extra: str) -> None:
        path = tmp_path / "cpuinfo"
        path.write_text(CPUINFO.format(extra=extra))
        monkeypatch.setattr(_precision, "_CPUINFO", path)
        monkeypatch.setattr(_precision, "cpu_flags", lambda: cpu_flags(path))
        monkeypatch.setattr(_precision, "_gpu_capabilities", list)
        _precision.auto_dtype_policy.cache_clear()

    yield use
    _precision.auto_dtype_policy.cache_clear()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("avx512_bf16 amx_bf16 amx_tile amx_int8", "mixed_bfloat16"),  # Sapphire Rapids
        ("avx512_bf16", "float32"),  # Cooper Lake / Zen 4: measured slower in bfloat16
        ("", "float32"),
    ],
)
def test_auto_picks_bfloat16_exactly_on_amx_cpus(mocked_cpu, extra, expected):
    mocked_cpu(extra)
    policy, reason = resolve_dtype_policy("auto")
    assert policy == expected
    assert reason.startswith("auto: CPU")


def test_auto_is_decided_once(mocked_cpu, monkeypatch):
    mocked_cpu("amx_bf16")
    first = _precision.auto_dtype_policy()
    monkeypatch.setattr(_precision, "cpu_flags", lambda: frozenset())  # ignored: cached
    assert _precision.auto_dtype_policy() is first


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [([(9, 0)], "mixed_bfloat16"), ([(7, 5)], "float32"), ([(7, 0), (8, 0)], "mixed_bfloat16")],
)
def test_auto_follows_the_gpu_when_there_is_one(capabilities, expected):
    assert _precision._choose(frozenset(), capabilities).policy == expected


def test_cpu_flags_without_cpuinfo(tmp_path):
    assert cpu_flags(tmp_path / "absent") == frozenset()
    (tmp_path / "arm").write_text("processor : 0\nFeatures : fp asimd bf16\n")
    assert "bf16" in cpu_flags(tmp_path / "arm")


def test_explicit_policies_pass_through():
    assert resolve_dtype_policy("mixed_bfloat16") == ("mixed_bfloat16", "set by the user")
    assert resolve_dtype_policy(None)[0] is None


@pytest.mark.parametrize("extra", ["amx_bf16", "avx512_bf16"])
def test_classifier_builds_and_reports_the_auto_policy(mocked_cpu, capsys, extra, dia_stamps):
    mocked_cpu(extra)
    X, y = dia_stamps[0][:16], dia_stamps[1][:16]
    X = StampStacker("dia").transform(X)
    clf = DIAClassifier(dtype_policy="auto", epochs=1, batch_size=8, verbose=2).fit(X, y)
    expected = "mixed_bfloat16" if extra == "amx_bf16" else "float32"
    assert clf.dtype_policy_ == expected
    assert clf.model_.get_layer("conv1_1").dtype_policy.name == expected
    assert f"DIAClassifier: dtype policy {expected} (auto: CPU" in capsys.readouterr().out
    assert clf.get_params()["dtype_policy"] == "auto"  # the parameter itself is unchanged


def test_library_default_stays_float32(nodia_stamps):
    assert NoDIAClassifier().dtype_policy is None
    X, y = nodia_stamps[0][:16], nodia_stamps[1][:16]
    clf = NoDIAClassifier(epochs=1, batch_size=8, verbose=0).fit(
        StampStacker("nodia").transform(X), y
    )
    assert clf.dtype_policy_ == "float32"
