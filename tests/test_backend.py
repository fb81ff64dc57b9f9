"""The backend: default dtype, generators, the allocator and the OpenBLAS settings."""
import os
import sys

import numpy as np
import pytest

from descent import backend


def test_only_float32_and_float64_can_be_the_default():
    with pytest.raises(TypeError, match="float32 and float64"):
        backend.set_default_dtype(np.int32)
    assert backend.get_default_dtype() == np.float32


def test_generator_state_is_plain_data():
    import json
    g = backend.Generator(5)
    json.dumps(g.get_state())  # checkpoints store it as JSON, never pickled


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_tune_allocator_takes_effect_on_linux():
    assert backend.tune_allocator() is True


ZEN4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n\n" \
       "processor\t: 1\nvendor_id\t: AuthenticAMD\n"


@pytest.mark.parametrize("text, expected", [
    (ZEN4, True),
    (ZEN4.replace("avx512f ", ""), False),                                       # Zen 3
    (ZEN4.replace("25", "26"), False),                                           # Zen 5: full-width AVX-512
    (ZEN4.replace("AuthenticAMD", "GenuineIntel").replace("25", "6"), False),   # an Intel core
])
def test_zen4_is_recognised_from_cpuinfo(tmp_path, text, expected):
    from descent import _openblas
    path = tmp_path / "cpuinfo"
    path.write_text(text)
    assert _openblas._is_zen4(str(path)) is expected
    assert _openblas._is_zen4(str(tmp_path / "missing")) is False


def test_openblas_settings_keep_what_the_user_set(monkeypatch):
    from descent import _openblas
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "7")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Zen")
    _openblas.configure()
    assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == "7" and os.environ["OPENBLAS_CORETYPE"] == "Zen"
