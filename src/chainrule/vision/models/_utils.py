"""What every model builder shares: ``weights=`` (a safetensors file, or a name chainrule ships) and
torchvision's channel rounding."""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS_DIR = Path(__file__).with_name("weights")
# weights that ship inside the package: name -> (file in WEIGHTS_DIR, the builder it belongs to)
SHIPPED = {"fashion7": ("fashion7.safetensors", "fashion_cnn")}


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """``v`` rounded to the nearest multiple of ``divisor``, never more than 10% below ``v`` (torchvision's rule)."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def norm_classes() -> tuple:
    """The norm layers torchvision initialises to weight 1, bias 0."""
    from chainrule import nn

    return tuple(getattr(nn, name) for name in ("BatchNorm2d", "GroupNorm") if hasattr(nn, name))


def init_mobile_net(model, init_linear_weight) -> None:
    """torchvision's initialisation of MobileNetV2 and EfficientNet: He-normal (fan_out) convolutions with zero
    bias, norm layers at weight 1 and bias 0, Linear layers by ``init_linear_weight(layer.weight)`` and zero bias."""
    from chainrule import nn

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, norm_classes()):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            init_linear_weight(m.weight)
            nn.init.zeros_(m.bias)


def resolve_weights(builder: str, weights) -> str | None:
    """The safetensors file that ``weights=`` names for ``builder``, or None for random weights."""
    if weights is None:
        return None
    if isinstance(weights, str) and weights in SHIPPED:
        file, owner = SHIPPED[weights]
        if owner != builder:
            raise ValueError(f"{builder}(weights={weights!r}): these weights belong to {owner}()")
        return str(WEIGHTS_DIR / file)
    if isinstance(weights, (str, os.PathLike)) and (os.fspath(weights).endswith(".safetensors")
                                                    or Path(weights).is_file()):
        if not Path(weights).is_file():
            raise FileNotFoundError(f"{builder}(weights=...): no such file: {os.fspath(weights)}")
        return os.fspath(weights)
    raise _no_download(builder, f"weights={weights!r}")


def _no_download(builder: str, spelled: str) -> ValueError:
    shipped = [name for name, (_, owner) in SHIPPED.items() if owner == builder]
    return ValueError(
        f"{builder}({spelled}): chainrule downloads no weights; pass a .safetensors file"
        + (f" or one of {shipped}" if shipped else "")
        + ". To use torchvision's weights, save them where torchvision is installed with "
        "safetensors.torch.save_file(model.state_dict(), 'model.safetensors'), or convert a .pth file with "
        "`chainrule convert model.pth model.safetensors`")


def build(builder: str, make, weights, kwargs: dict, head: str):
    """``make(**kwargs)`` with ``weights`` loaded; ``num_classes`` defaults to the rows of the file's ``head``
    tensor, as torchvision takes it from the weights' categories."""
    kwargs.pop("progress", None)  # torchvision's download progress bar: nothing is downloaded here
    if kwargs.pop("pretrained", False):  # torchvision's old spelling of weights="IMAGENET1K_V1"
        raise _no_download(builder, "pretrained=True")
    path = resolve_weights(builder, weights)
    if path is None:
        return make(**kwargs)
    from chainrule import io

    state = io.load_state_dict(path)
    if head in state:
        rows = int(state[head].shape[0])
        if kwargs.setdefault("num_classes", rows) != rows:
            raise ValueError(f"{builder}(num_classes={kwargs['num_classes']}): the weights in {path} have {rows} "
                             f"classes ({head} has shape {tuple(state[head].shape)}); build with num_classes={rows} "
                             "and replace the head afterwards")
    model = make(**kwargs)
    model.load_state_dict(state)
    return model
