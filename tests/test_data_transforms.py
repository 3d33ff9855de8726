"""Batch transforms: shapes, dtypes, value ranges, per-sample randomness and reproducibility."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import transforms as T


def _gen(seed=0):
    return cr.Generator().manual_seed(seed)


def _images(n=32, shape=(8, 8), seed=0):
    return np.random.default_rng(seed).integers(1, 256, size=(n,) + shape).astype(np.uint8)


def test_to_float_scales_uint8_to_unit_interval():
    x = np.array([[0, 1, 128, 255]], np.uint8)
    y = T.ToFloat()(x)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert y.min() == 0.0 and y.max() == 1.0
    np.testing.assert_array_equal(y, x.astype(np.float32) / np.float32(255))
    f = np.ones((2, 2), np.float32)
    assert T.ToFloat()(f) is f  # already float32: no copy
    assert T.ToFloat()(np.ones(3, np.float64)).dtype == np.float32


def test_to_tensor_adds_a_channel_axis_like_torchvision():
    assert T.ToTensor()(_images(4)).shape == (4, 1, 8, 8)
    assert T.ToTensor()(_images(4, (3, 8, 8))).shape == (4, 3, 8, 8)
    out = T.ToTensor()(cr.from_numpy(_images(2)))
    assert isinstance(out, cr.Tensor) and out.dtype == np.float32  # Tensor in, Tensor out


def test_normalize_per_channel():
    x = np.random.default_rng(0).random((5, 3, 4, 4)).astype(np.float32)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    out = T.Normalize(mean, std)(x)
    expected = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32 and out is not x
    single = T.Normalize((0.5,), (0.5,))(np.ones((2, 6, 6), np.float32))
    assert np.all(single == 1.0)
    feats = T.Normalize([1.0, 2.0], [2.0, 4.0])(np.array([[3.0, 6.0]], np.float32))
    assert feats.tolist() == [[1.0, 1.0]]
    y = x.copy()
    assert T.Normalize(0.5, 0.5, inplace=True)(y) is y


def test_normalize_errors():
    with pytest.raises(ValueError, match="3 mean and 3 std values.*shape \\(2, 1, 4, 4\\)"):
        T.Normalize((0.1, 0.2, 0.3), (1, 1, 1))(np.zeros((2, 1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="non-zero"):
        T.Normalize(0.0, 0.0)
    with pytest.raises(TypeError, match="put ToFloat"):
        T.Normalize(0.5, 0.5)(_images(2))


def _find_offset(out, padded):
    """The (dy, dx) at which ``out`` is a window of ``padded``, or None."""
    h, w = out.shape[-2:]
    for dy in range(padded.shape[-2] - h + 1):
        for dx in range(padded.shape[-1] - w + 1):
            if np.array_equal(padded[..., dy:dy + h, dx:dx + w], out):
                return dy, dx
    return None


@pytest.mark.parametrize("channels", [None, 3])
def test_random_crop_takes_a_random_window_per_sample(channels):
    shape = (8, 8) if channels is None else (channels, 8, 8)
    x = _images(64, shape)
    out = T.RandomCrop(8, padding=2)(x, _gen(0))
    assert out.shape == x.shape and out.dtype == np.uint8
    pad = [(0, 0)] * (x.ndim - 3) + [(2, 2), (2, 2)]
    offsets = {_find_offset(out[i], np.pad(x[i], pad)) for i in range(len(x))}
    assert None not in offsets and len(offsets) > 5  # every output is a window; shifts differ per sample
    small = T.RandomCrop((5, 6))(x, _gen(1))
    assert small.shape == x.shape[:-2] + (5, 6)
    assert all(_find_offset(small[i], x[i]) is not None for i in range(len(x)))


def test_random_crop_is_reproducible_and_uses_the_generator():
    x = _images(16)
    crop = T.RandomCrop(8, padding=3)
    assert np.array_equal(crop(x, _gen(5)), crop(x, _gen(5)))
    assert not np.array_equal(crop(x, _gen(5)), crop(x, _gen(6)))
    own = T.RandomCrop(8, padding=3, generator=_gen(5))
    assert np.array_equal(own(x), crop(x, _gen(5)))


def test_random_crop_padding_options_and_errors():
    x = _images(4)
    assert T.RandomCrop(12, pad_if_needed=True)(x).shape == (4, 12, 12)
    assert T.RandomCrop(10, padding=(1, 1))(x, _gen()).shape == (4, 10, 10)
    assert T.RandomCrop(8, padding=2, padding_mode="reflect")(x, _gen()).shape == (4, 8, 8)
    filled = T.RandomCrop(12, padding=2, fill=7)(np.zeros((1, 8, 8), np.uint8))
    assert filled.max() == 7 and filled[0, 2:10, 2:10].max() == 0
    with pytest.raises(ValueError, match="larger than the \\(padded\\) image"):
        T.RandomCrop(20)(x)
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, C, H, W\), got shape \(4, 64\)"):
        T.RandomCrop(8)(x.reshape(4, 64))
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(8, padding_mode="wrap")


def test_random_shift_translates_with_zero_fill():
    x = np.ones((200, 6, 6), np.float32)
    out = T.RandomShift(2)(x, _gen(0))
    assert out.shape == x.shape and out.dtype == np.float32
    zeros_per_image = (out == 0).sum(axis=(1, 2))
    # a shift by (dy, dx) zeroes |dy|*6 + |dx|*6 - |dy*dx| pixels; at most 2 in each direction
    assert zeros_per_image.max() <= 2 * 6 + 2 * 6 - 4 and zeros_per_image.min() == 0
    assert len(set(zeros_per_image.tolist())) > 3
    np.testing.assert_array_equal(T.RandomShift(0)(x), x)


def test_random_horizontal_flip_flips_exactly_the_chosen_samples():
    x = _images(64, (5, 7))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    out = T.RandomHorizontalFlip()(x, _gen(0))
    flipped = np.array([np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert np.all(flipped ^ kept) and 10 < flipped.sum() < 54
    np.testing.assert_array_equal(out, T.RandomHorizontalFlip()(x, _gen(0)))
    chw = _images(8, (3, 4, 4))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(chw), chw[..., ::-1])
    with pytest.raises(ValueError, match="p must be in"):
        T.RandomHorizontalFlip(p=2)


def test_gaussian_noise_statistics_and_reproducibility():
    x = np.zeros((400, 50), np.float32)
    out = T.GaussianNoise(0.3)(x, _gen(0))
    assert out.dtype == np.float32 and out.shape == x.shape
    assert abs(out.std() - 0.3) < 0.01 and abs(out.mean()) < 0.01
    assert np.all(x == 0)  # input untouched
    np.testing.assert_array_equal(out, T.GaussianNoise(0.3)(x, _gen(0)))
    assert abs(T.GaussianNoise(0.1, mean=2.0)(x, _gen(1)).mean() - 2.0) < 0.01
    np.testing.assert_array_equal(T.GaussianNoise(0.0)(np.ones((2, 2), np.float32)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="expected a float batch"):
        T.GaussianNoise()(_images(2))


def test_compose_passes_the_generator_and_accepts_plain_functions():
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.RandomCrop(8, padding=1),
                          T.RandomHorizontalFlip(), lambda b: b * 2])
    x = _images(16)
    a, b = pipeline(x, _gen(3)), pipeline(x, _gen(3))
    assert a.shape == (16, 1, 8, 8) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert -2.0 <= a.min() and a.max() <= 2.0
    assert "RandomCrop" in repr(pipeline)
    assert T.Lambda(lambda b: b + 1)(np.zeros(2)).tolist() == [1.0, 1.0]


def test_global_generator_is_used_by_default():
    x = _images(16)
    cr.manual_seed(11)
    a = T.RandomShift(2)(x)
    cr.manual_seed(11)
    np.testing.assert_array_equal(a, T.RandomShift(2)(x))
