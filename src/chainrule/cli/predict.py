"""``chainrule predict RUN_DIR IMAGE...``: the top classes of your own images, with probabilities.

The image is read as 8-bit grayscale and resized to the training images' size (28x28). Fashion-MNIST
and MNIST images are bright objects on a black background, so a photo of a dark object on white paper
needs ``--invert``. The same preprocessing as in training follows (scale to [0, 1], standardise).
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.cli.runs import RunError, is_image, load_model, preprocessing, read_config

MAX_PIXELS = 50_000_000  # about 7000 x 7000: far more than a 28x28 input needs; larger is a bomb or a mistake


def load_image(path, size=(28, 28), invert: bool = False) -> np.ndarray:
    """A grayscale image as uint8 ``(H, W)`` at ``size`` (resized if needed), optionally inverted.

    16-bit and 32-bit integer images are scaled from their full range to 0-255, float images from [0, 1]
    (or from their own minimum and maximum when outside it), so that they are not clipped to white. An
    image declaring more than ``MAX_PIXELS`` pixels is refused before it is decoded.
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as e:
        raise ImportError("reading images needs Pillow, which is not installed: pip install chainrule[image]") from e
    import warnings

    from chainrule.io.files import open_regular

    with open_regular(path) as f:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(f)  # reads the header only
        except UnidentifiedImageError:
            raise RunError(f"{path}: not an image file Pillow can read") from None
        except Image.DecompressionBombError as e:
            raise RunError(f"{path}: refused as a decompression bomb ({e})") from None
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise RunError(f"{path}: the image declares {width}x{height} pixels ({width * height:,}), more than "
                               f"the {MAX_PIXELS:,} chainrule decodes (a decompression bomb, or a huge picture: "
                               "shrink it first)")
            try:
                gray = _to_gray(image, Image)
            except (OSError, SyntaxError, ValueError) as e:  # truncated or corrupt data
                raise RunError(f"{path}: cannot decode the image ({e})") from None
    height, width = size
    if gray.size != (width, height):
        gray = gray.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(gray, dtype=np.uint8)
    return 255 - pixels if invert else pixels


def _to_gray(image, Image):
    """An 8-bit grayscale ('L') image; deep and float images are scaled, not clipped (Pillow's convert clips)."""
    if image.mode.startswith("I;16"):
        values = np.asarray(image, dtype=np.float64) / 65535.0
    elif image.mode == "I":  # 32-bit ints; 16-bit PNGs open so in some Pillow versions
        values = np.asarray(image, dtype=np.float64)
        values = values / (65535.0 if values.min(initial=0) >= 0 and values.max(initial=0) <= 65535 else 2**32 - 1)
        values = np.clip(values, 0.0, 1.0)
    elif image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise ValueError("the float image holds no finite values")
        low, high = float(finite.min()), float(finite.max())
        if low < 0.0 or high > 1.0:  # not in [0, 1]: stretch its own range
            values = (values - low) / (high - low) if high > low else np.zeros_like(values)
        values = np.nan_to_num(values, nan=0.0, posinf=1.0, neginf=0.0)
    else:
        return image.convert("L")
    return Image.fromarray(np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8), mode="L")


def run_predict(args, parser) -> int:
    config = read_config(args.run_dir)
    if not is_image(config["dataset"]):
        parser.error(f"predict classifies images; {args.run_dir} was trained on {config['dataset']}")
    model = load_model(args.run_dir, config)
    from pathlib import Path

    from chainrule.cli.finite import describe_nonfinite, nonfinite_parameters

    bad = nonfinite_parameters(model)
    if bad:
        raise RunError(describe_nonfinite(Path(args.run_dir) / "model.safetensors", bad))
    images = np.stack([load_image(p, tuple(config["input_shape"]), args.invert) for p in args.images])
    x = cr.from_numpy(np.asarray(preprocessing(config)(images)))
    with cr.no_grad():
        probs = model(x).softmax(dim=1).numpy()
    if not np.isfinite(probs).all():
        raise RunError(f"{args.run_dir}: the model's outputs are NaN or infinite for these images; its answers "
                       "would be meaningless")
    top = min(args.top, probs.shape[1])
    for path, p in zip(args.images, probs):
        best = np.argsort(-p, kind="stable")[:top]
        print(f"{path}: " + ", ".join(f"{config['classes'][i]} {p[i]:.3f}" for i in best))
    return 0
