"""predict's image reader: a decompression bomb is refused before decoding, 16-bit and float images are scaled
(not clipped to white), a FIFO is refused."""

import numpy as np
import pytest

from chainrule.cli.predict import load_image
from chainrule.cli.runs import RunError
from faults.helpers import fifo, float_tiff, png16, png_declaring

pytest.importorskip("PIL")


def test_a_tiny_png_declaring_ten_billion_pixels_is_refused_clearly(tmp_path):
    path = png_declaring(tmp_path / "bomb.png", 100000, 100000)
    assert path.stat().st_size < 100
    with pytest.raises(RunError, match="bomb.png: refused as a decompression bomb"):
        load_image(path)


def test_a_png_below_pillows_limit_but_absurd_for_28x28_is_refused_before_decoding(tmp_path):
    with pytest.raises(RunError, match=r"declares 8000x8000 pixels \(64,000,000\)"):
        load_image(png_declaring(tmp_path / "big.png", 8000, 8000))


def test_a_16_bit_greyscale_png_is_scaled_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 28 * 28).reshape(28, 28).astype(np.uint16)
    pixels = load_image(png16(tmp_path / "deep.png", ramp))
    np.testing.assert_allclose(pixels, np.round(ramp / 65535 * 255), atol=1)
    assert pixels.min() == 0 and pixels.max() == 255 and 100 < pixels.mean() < 155


def test_float_images_are_scaled_from_unit_range_or_their_own(tmp_path):
    half = load_image(float_tiff(tmp_path / "half.tif", np.full((28, 28), 0.5)))
    assert (half == 128).all()
    wide = np.linspace(-1000, 1000, 28 * 28).reshape(28, 28)
    pixels = load_image(float_tiff(tmp_path / "wide.tif", wide))
    assert pixels.min() == 0 and pixels.max() == 255


def test_an_image_fifo_is_refused(tmp_path, no_hang):
    with pytest.raises(OSError, match="named pipe"):
        load_image(fifo(tmp_path / "x.png"))


def test_a_truncated_image_names_the_file(tmp_path):
    noise = np.random.default_rng(0).integers(0, 65535, (28, 28), dtype=np.uint16)
    path = png16(tmp_path / "cut.png", noise)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(RunError, match="cut.png: "):
        load_image(path)


def test_the_library_reader_behind_predict(tmp_path):
    from chainrule.io.images import ImageFileError, read_gray

    ramp = np.linspace(0, 65535, 64).reshape(8, 8).astype(np.uint16)
    gray = read_gray(png16(tmp_path / "deep.png", ramp))
    assert gray.mode == "L" and np.asarray(gray).max() == 255
    with pytest.raises(ImageFileError, match="decompression bomb"):
        read_gray(png_declaring(tmp_path / "bomb.png", 100000, 100000))
