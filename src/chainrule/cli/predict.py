"""``chainrule predict RUN_DIR IMAGE...``: the top classes of your own images, with probabilities.

The image is read as 8-bit grayscale and resized to the training images' size (28x28). Fashion-MNIST
and MNIST images are bright objects on a black background, so a photo of a dark object on white paper
needs ``--invert``. The same preprocessing as in training follows (scale to [0, 1], standardise).
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.cli.runs import RunError, is_image, load_model, preprocessing, read_config


def load_image(path, size=(28, 28), invert: bool = False) -> np.ndarray:
    """A grayscale image as uint8 ``(H, W)`` at ``size`` (resized if needed), optionally inverted."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as e:
        raise ImportError("reading images needs Pillow, which is not installed: pip install chainrule[image]") from e
    try:
        with Image.open(path) as image:
            gray = image.convert("L")
    except UnidentifiedImageError:
        raise RunError(f"{path}: not an image file Pillow can read") from None
    height, width = size
    if gray.size != (width, height):
        gray = gray.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(gray, dtype=np.uint8)
    return 255 - pixels if invert else pixels


def run_predict(args, parser) -> int:
    config = read_config(args.run_dir)
    if not is_image(config["dataset"]):
        parser.error(f"predict classifies images; {args.run_dir} was trained on {config['dataset']}")
    model = load_model(args.run_dir, config)
    images = np.stack([load_image(p, tuple(config["input_shape"]), args.invert) for p in args.images])
    x = cr.from_numpy(np.asarray(preprocessing(config)(images)))
    with cr.no_grad():
        probs = model(x).softmax(dim=1).numpy()
    top = min(args.top, probs.shape[1])
    for path, p in zip(args.images, probs):
        best = np.argsort(-p, kind="stable")[:top]
        print(f"{path}: " + ", ".join(f"{config['classes'][i]} {p[i]:.3f}" for i in best))
    return 0
