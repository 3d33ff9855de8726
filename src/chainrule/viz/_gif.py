"""Animated GIFs from one matplotlib figure redrawn per frame (``animate_boundary``, ``animate_race``)."""

from __future__ import annotations

import numpy as np


def pillow_image(who: str):
    """Pillow's ``Image`` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f"{who} needs Pillow, which is not installed: pip install chainrule[image]") from e
    return Image


def grab_frame(fig, colors: int):
    """The figure as drawn now, as a palette image of at most ``colors`` colours."""
    Image = pillow_image("grab_frame")
    fig.canvas.draw()
    return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]).convert(
        "P", palette=Image.Palette.ADAPTIVE, colors=colors)


def save_gif(path, images, duration_ms: int) -> None:
    """Write the frames as a looping GIF, atomically (a reader never sees half a file)."""
    from chainrule.io import atomic_write

    with atomic_write(path) as f:
        images[0].save(f, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
