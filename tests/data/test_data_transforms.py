"""Batch transforms checked against a plain per-sample loop written here."""
import numpy as np
import pytest

from descent.backend import Generator
from descent.data import Compose, Normalize, RandomCrop, RandomHorizontalFlip


def batch(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---- per-sample references -------------------------------------------------------------

def crop_reference(x, size, padding, top, left):
    """Pad one sample (C, H, W) or (H, W) with zeros and cut the window at (top, left)."""
    h, w = size
    out = []
    for i in range(len(x)):
        image = x[i]
        pad = [(0, 0)] * (image.ndim - 2) + [(padding, padding), (padding, padding)]
        padded = np.pad(image, pad)
        out.append(padded[..., top[i]:top[i] + h, left[i]:left[i] + w])
    return np.stack(out)


def crop_offsets(sample, image, size, padding):
    """Every (top, left) at which `sample` is a window of the padded `image`."""
    pad = [(0, 0)] * (image.ndim - 2) + [(padding, padding), (padding, padding)]
    padded = np.pad(image, pad)
    h, w = size
    rows, cols = padded.shape[-2] - h + 1, padded.shape[-1] - w + 1
    return [(t, s) for t in range(rows) for s in range(cols)
            if np.array_equal(padded[..., t:t + h, s:s + w], sample)]


# ---- Normalize -------------------------------------------------------------------------

def test_normalize_per_channel_matches_loop():
    x = batch((5, 3, 4, 4))
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 1.5]
    got = Normalize(mean, std)(x)
    expected = np.empty_like(x)
    for i in range(len(x)):
        for c in range(3):
            expected[i, c] = (x[i, c] - np.float32(mean[c])) / np.float32(std[c])
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("shape", [(4, 6, 6), (4, 1, 6, 6), (4, 3, 6, 6)])
def test_normalize_scalar_mean_std_for_any_layout(shape):
    x = batch(shape, dtype=np.float64)
    got = Normalize(0.1307, 0.3081)(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, (x - 0.1307) / 0.3081)


def test_normalize_integer_pixels_become_default_float():
    x = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    got = Normalize([10.0], [4.0])(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, (x.astype(np.float64) - 10) / 4, rtol=1e-6)


def test_normalize_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"Normalize.*3 means.*\(2, 2, 4, 4\).*2 channel"):
        Normalize([0, 0, 0], [1, 1, 1])(batch((2, 2, 4, 4)))
    with pytest.raises(ValueError, match="Normalize.*positive"):
        Normalize(0, 0)
    with pytest.raises(ValueError, match=r"Normalize.*\(4, 4\)"):
        Normalize(0, 1)(batch((4, 4)))


# ---- RandomCrop ------------------------------------------------------------------------

@pytest.mark.parametrize("shape, size, padding", [((6, 2, 8, 8), 5, 0), ((6, 8, 8), 8, 2), ((5, 3, 7, 9), (4, 6), 1)])
def test_random_crop_at_given_offsets_matches_loop(shape, size, padding):
    x = batch(shape)
    transform = RandomCrop(size, padding=padding)
    h, w = transform.size
    rng = np.random.default_rng(1)
    top = rng.integers(0, shape[-2] + 2 * padding - h + 1, size=len(x))
    left = rng.integers(0, shape[-1] + 2 * padding - w + 1, size=len(x))
    np.testing.assert_array_equal(transform.crop(x, top, left), crop_reference(x, (h, w), padding, top, left))


@pytest.mark.parametrize("shape", [(40, 1, 6, 6), (40, 6, 6)])
def test_random_crop_gives_each_sample_its_own_valid_window(shape):
    x = batch(shape, seed=2)
    out = RandomCrop(6, padding=2, generator=Generator(0))(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    offsets = []
    for i in range(len(x)):
        found = crop_offsets(out[i], x[i], (6, 6), 2)
        assert found, f"sample {i} is not a crop of its padded input"
        offsets.append(found[0])
    assert len(set(offsets)) > 5  # offsets differ between samples, not one shared shift


def test_random_crop_same_seed_same_result():
    x = batch((10, 3, 8, 8))
    a = RandomCrop(6, padding=1, generator=Generator(5))(x)
    b = RandomCrop(6, padding=1, generator=Generator(5))(x)
    c = RandomCrop(6, padding=1, generator=Generator(6))(x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_crop_too_large_is_an_error():
    with pytest.raises(ValueError, match=r"RandomCrop.*\(9, 9\).*\(8, 8\)"):
        RandomCrop(9)(batch((2, 1, 8, 8)))
    with pytest.raises(ValueError, match="RandomCrop.*padding"):
        RandomCrop(3, padding=-1)


# ---- RandomHorizontalFlip ---------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 2, 3, 5), (6, 3, 5)])
def test_flip_with_mask_matches_loop(shape):
    x = batch(shape)
    mask = np.array([True, False, False, True, True, False])
    expected = np.stack([np.flip(x[i], axis=-1) if mask[i] else x[i] for i in range(len(x))])
    got = RandomHorizontalFlip.flip(x, mask)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(x, batch(shape))  # the input is left alone


def test_random_flip_flips_each_sample_with_its_own_coin():
    x = batch((400, 1, 3, 4))
    out = RandomHorizontalFlip(p=0.3, generator=Generator(0))(x)
    flipped = np.array([np.array_equal(out[i], x[i, ..., ::-1]) for i in range(len(x))])
    kept = np.array([np.array_equal(out[i], x[i]) for i in range(len(x))])
    assert np.all(flipped ^ kept)  # every sample is one or the other
    assert 0.2 < flipped.mean() < 0.4  # about p of them, each drawn on its own
    expected_mask = np.random.Generator(np.random.PCG64(0)).random(400) < 0.3
    np.testing.assert_array_equal(flipped, expected_mask)


def test_random_flip_p_zero_and_one():
    x = batch((5, 2, 3))
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x), x)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    with pytest.raises(ValueError, match="RandomHorizontalFlip"):
        RandomHorizontalFlip(p=1.5)


# ---- Compose ---------------------------------------------------------------------------

def test_compose_applies_in_order():
    x = batch((8, 1, 6, 6))
    pipeline = Compose([RandomCrop(6, padding=1, generator=Generator(3)),
                        RandomHorizontalFlip(generator=Generator(4)),
                        Normalize(0.5, 2.0)])
    step = RandomCrop(6, padding=1, generator=Generator(3))(x)
    step = RandomHorizontalFlip(generator=Generator(4))(step)
    np.testing.assert_allclose(pipeline(x), (step - 0.5) / 2.0, rtol=1e-6)
