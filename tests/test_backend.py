"""The backend: default dtype, generators, and the allocator setting."""
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
