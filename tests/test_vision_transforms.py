"""chainrule.vision.transforms against torchvision 0.28.0's (PIL in, CHW float tensor out)."""

import numpy as np
import pytest
from torchvision_oracle import import_torchvision

import chainrule as cr
from chainrule.vision import transforms as T

Image = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def tvt():
    return import_torchvision().transforms


def _image(h=30, w=50, mode="RGB", seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w, 3) if mode == "RGB" else (h, w)
    return Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)


def _same(ours, theirs, atol=1e-6):
    if isinstance(theirs, Image.Image):
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    else:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=atol)


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("size", [28, (20, 33), 64])
def test_resize_centercrop_totensor_normalize_match(tvt, mode, size):
    img = _image(mode=mode)
    ch = 3 if mode == "RGB" else 1
    ours = T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize([0.4] * ch, [0.3] * ch)])
    theirs = tvt.Compose([tvt.Resize(size), tvt.CenterCrop(size), tvt.ToTensor(),
                          tvt.Normalize([0.4] * ch, [0.3] * ch)])
    _same(ours(img), theirs(img), atol=1e-5)
    _same(T.Resize(size)(img), tvt.Resize(size)(img))
    _same(T.CenterCrop(size)(img), tvt.CenterCrop(size)(img))  # padded when larger than the image


def test_resize_max_size_and_grayscale_match(tvt):
    img = _image(40, 90)
    _same(T.Resize(30, max_size=50)(img), tvt.Resize(30, max_size=50)(img))
    for n in (1, 3):
        _same(T.Grayscale(n)(img), tvt.Grayscale(n)(img))
    x = T.ToTensor()(img)
    assert x.dtype == cr.float32 and x.shape == (3, 40, 90) and 0 <= float(x.min()) and float(x.max()) <= 1


def test_random_transforms_match_torchvision_given_the_same_draws(tvt):
    F = import_torchvision().transforms.functional
    img = _image(37, 45)
    crop = T.RandomResizedCrop(24, seed=3)
    top, left, h, w = crop.get_params(img)
    again = T.RandomResizedCrop(24, seed=3)  # the same seed draws the same crop
    _same(again(img), F.resized_crop(img, top, left, h, w, [24, 24]))
    rng = cr.Generator().manual_seed(5).rng
    angle = rng.uniform(-30, 30)
    _same(T.RandomRotation(30, seed=5)(img), F.rotate(img, angle))
    mirrored = np.asarray(F.hflip(img))
    flips = [np.array_equal(np.asarray(T.RandomHorizontalFlip(seed=s)(img)), mirrored) for s in range(20)]
    assert 3 < sum(flips) < 17  # p = 0.5


def test_color_jitter_applies_the_drawn_factors_in_the_drawn_order():
    F = import_torchvision().transforms.functional
    img = _image(20, 20, seed=2)
    rng = cr.Generator().manual_seed(7).rng
    order = rng.permutation(4)
    b, c = rng.uniform(0.7, 1.3), rng.uniform(0.6, 1.4)
    expected = img
    for i in order:
        if i == 0:
            expected = F.adjust_brightness(expected, b)
        elif i == 1:
            expected = F.adjust_contrast(expected, c)
    _same(T.ColorJitter(brightness=0.3, contrast=0.4, seed=7)(img), expected)


def test_randomness_is_per_sample_and_seedable():
    img = _image()
    tf = T.RandomResizedCrop(16)
    cr.manual_seed(0)
    first = [tf(img) for _ in range(3)]
    cr.manual_seed(0)
    second = [tf(img) for _ in range(3)]
    assert [np.asarray(a).tolist() for a in first] == [np.asarray(b).tolist() for b in second]
    assert not np.array_equal(np.asarray(first[0]), np.asarray(first[1]))  # each call draws anew


def test_tensor_inputs_and_errors():
    x = T.ToTensor()(_image(30, 40))
    assert T.CenterCrop(20)(x).shape == (3, 20, 20)
    assert T.Resize((16, 24))(x).shape == (3, 16, 24)
    assert T.Grayscale()(x).shape == (1, 30, 40)
    assert T.RandomHorizontalFlip(p=1.0)(x).numpy()[..., 0].tolist() == x.numpy()[..., -1].tolist()
    with pytest.raises(TypeError, match="apply ToTensor"):
        T.Normalize([0.5], [0.5])(_image())
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize([0.5, 0.5], [0.5, 0.5])(x)
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.5], [0.0])
    with pytest.raises(NotImplementedError, match="hue"):
        T.ColorJitter(hue=0.1)
    with pytest.raises(ValueError, match="pass either generator= or seed="):
        T.RandomRotation(5, seed=1, generator=cr.Generator())


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_and_random_crop_match(tvt, mode):
    F = import_torchvision().transforms.functional
    for img in (_image(13, 17), _image(13, 17, mode="L")):
        theirs = tvt.Pad((1, 2, 3, 4), fill=7, padding_mode=mode)(img)
        _same(T.Pad((1, 2, 3, 4), fill=7, padding_mode=mode)(img), theirs)
        _same(T.Pad(2, padding_mode=mode)(img), tvt.Pad(2, padding_mode=mode)(img))
        crop = T.RandomCrop((12, 20), padding=3, padding_mode=mode, seed=4)
        top, left, h, w = T.RandomCrop((12, 20), seed=4).get_params(T.Pad(3, padding_mode=mode)(img))
        _same(crop(img), F.crop(tvt.Pad(3, padding_mode=mode)(img), top, left, h, w))
    small = T.RandomCrop(20, pad_if_needed=True, seed=0)(_image(13, 17))
    assert small.size == (20, 20)
    with pytest.raises(ValueError, match="larger than the image"):
        T.RandomCrop(20)(_image(13, 17))
    flipped = T.RandomVerticalFlip(p=1.0)(_image())
    _same(flipped, F.vflip(_image()))
