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
    """A grayscale image as uint8 ``(H, W)`` at ``size`` (resized if needed), optionally inverted.

    Read with ``chainrule.io.images.read_gray``: 16-bit and float images are scaled, not clipped, and a
    decompression bomb or a FIFO is refused before anything is decoded.
    """
    from chainrule.io.images import ImageFileError, _pil, read_gray

    Image = _pil()  # Pillow, or an ImportError naming the extra
    try:
        gray = read_gray(path)
    except ImageFileError as e:
        raise RunError(str(e)) from None
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
