"""``chainrule predict RUN_DIR IMAGE_OR_FOLDER...``: the top classes of your own photos, with probabilities.

Each photo is prepared the way the training images were made (``chainrule.data.photo``): inverted when
its border is light (a dark garment on a white table), contrast stretched, cropped to the object,
padded to a square, resized and centred by mass. A folder stands for every image file in it. A note
says when the image was inverted, and a warning when the prepared image still looks unlike the
training images (its prediction is then a guess). ``--plain`` only converts to gray and resizes
(for images already made like the dataset's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.cli.runs import RunError, is_image, load_model, preprocessing, read_config

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm")


def load_image(path, size=(28, 28), invert: bool = False) -> np.ndarray:
    """A grayscale image as uint8 ``(H, W)`` at ``size`` (resized if needed), optionally inverted (``--plain``)."""
    from chainrule.data.photo import _pil, load_gray

    try:
        gray = load_gray(path)
    except ValueError as e:
        raise RunError(str(e)) from None
    Image = _pil()
    height, width = size
    image = Image.fromarray(gray.astype(np.uint8))
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(image, dtype=np.uint8)
    return 255 - pixels if invert else pixels


def image_paths(items) -> list[Path]:
    """The image files named by ``items``: files as given, folders expanded to their image files (sorted)."""
    paths = []
    for item in map(Path, items):
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                raise RunError(f"{item} is a folder without image files ({', '.join(IMAGE_SUFFIXES[:4])}, ...)")
            paths += found
        elif item.is_file():
            paths.append(item)
        else:
            raise RunError(f"{item}: no such file or folder")
    return paths


def prepare(path, config: dict, invert, plain: bool):
    """``(uint8 image, notes)`` for one file, as the run's training images look."""
    from chainrule.data.photo import PRESETS, prepare_photo, unlike_training

    shape = tuple(config["input_shape"])
    if plain:
        return load_image(path, shape, bool(invert)), []
    preset = PRESETS.get(config["dataset"], {"size": shape[0], "fit": shape[0], "centre": "mass"})
    try:
        pixels, notes = prepare_photo(path, invert=invert, **preset)
    except ValueError as e:
        raise RunError(str(e)) from None
    notes = [f"note: {n}" for n in notes]
    why = unlike_training(pixels, config["normalize"]["mean"][0])
    if why:
        notes.append(f"warning: this looks unlike the training images ({why}); the prediction is a guess")
    return pixels, notes


def run_predict(args, parser) -> int:
    config = read_config(args.run_dir)
    if not is_image(config["dataset"]):
        parser.error(f"predict classifies images; {args.run_dir} was trained on {config['dataset']}")
    from chainrule.data.photo import _pil

    _pil()  # say which extra to install before anything else
    model = load_model(args.run_dir, config)
    from pathlib import Path

    from chainrule.cli.finite import describe_nonfinite, nonfinite_parameters

    bad = nonfinite_parameters(model)
    if bad:
        raise RunError(describe_nonfinite(Path(args.run_dir) / "model.safetensors", bad))
    paths = image_paths(args.images)
    prepared = [prepare(p, config, args.invert, args.plain) for p in paths]
    images = np.stack([pixels for pixels, _ in prepared])
    x = cr.from_numpy(np.asarray(preprocessing(config)(images)))
    with cr.no_grad():
        probs = model(x).softmax(dim=1).numpy()
    if not np.isfinite(probs).all():
        raise RunError(f"{args.run_dir}: the model's outputs are NaN or infinite for these images; its answers "
                       "would be meaningless")
    top = min(args.top, probs.shape[1])
    for path, (_, notes), p in zip(paths, prepared, probs):
        best = np.argsort(-p, kind="stable")[:top]
        print(f"{path}: " + ", ".join(f"{config['classes'][i]} {p[i]:.3f}" for i in best))
        for note in notes:
            print(f"    {note}")
    return 0
