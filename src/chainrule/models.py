"""Ready-made models as ``nn.Sequential``: ``mlp`` (the lectures' perceptron) and ``cnn`` (a small conv net);
and ``MatrixFactorization``, the recommender (defined in ``chainrule.recommender``)."""

from __future__ import annotations

from chainrule import nn
from chainrule.recommender.mf import MatrixFactorization  # the recommender (user/item embeddings)

__all__ = ["ACTIVATIONS", "MatrixFactorization", "cnn", "mlp"]

# the activation names the command line accepts, mapped to their layers
ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


def mlp(in_features, hidden=(256, 128), out_features=10, activation="relu", dropout=0.0):
    """A multi-layer perceptron: Flatten, then (Linear, activation[, Dropout]) per hidden layer, then Linear.

    The output layer has no activation: it gives logits for ``nn.CrossEntropyLoss`` (or values for
    regression losses). The leading ``nn.Flatten()`` lets the model take images ``(N, 28, 28)`` or
    ``(N, 1, 28, 28)`` as well as feature rows ``(N, in_features)``.

    Args:
        in_features (int): inputs per sample (784 for 28x28 images).
        hidden (sequence of int): the width of each hidden layer; empty gives a linear model.
            Default: (256, 128).
        out_features (int): outputs per sample (the number of classes). Default: 10.
        activation (str): one of ``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``silu``, ``sigmoid``,
            ``tanh``. Default: ``"relu"``.
        dropout (float): dropout probability after each hidden activation; 0 adds no Dropout layers.
            Default: 0.0.

    Shape:
        - input: ``(N, *)`` with ``in_features`` values per sample; output: ``(N, out_features)``.

    >>> model = mlp(784, hidden=(256, 128), out_features=10)
    >>> model(chainrule.zeros(64, 28, 28)).shape
    Size([64, 10])
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"mlp(activation): expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp(dropout): expected a probability in [0, 1), got {dropout!r}")
    sizes = [int(in_features), *(int(h) for h in hidden), int(out_features)]
    if any(s < 1 for s in sizes):
        raise ValueError(f"mlp: every layer size must be a positive int, got in_features={in_features}, "
                         f"hidden={tuple(hidden)}, out_features={out_features}")
    from chainrule.utils.memory import check_fits

    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    check_fits(n_params * 4, f"mlp{tuple(sizes)}'s {n_params:,} float32 parameters")
    layers = [nn.Flatten()]
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def cnn(in_channels=1, image_size=(28, 28), channels=(32, 64), hidden=(128,), out_features=10, activation="relu",
        dropout=0.0, padding=0):
    """A small convolutional network: (Conv2d 3x3, activation, MaxPool2d 2) per entry of ``channels``, then an MLP.

    With the defaults it is the classic Fashion-MNIST/MNIST reference CNN: conv3x3(32)-ReLU-maxpool2,
    conv3x3(64)-ReLU-maxpool2, fc128-ReLU, fc10 (225,034 parameters for 28x28 images).

    Args:
        in_channels (int): channels of the images (1 for grey). Default: 1.
        image_size (int or tuple): (H, W) of the images, to size the first Linear layer. Default: (28, 28).
        channels (sequence of int): output channels of each conv block. Default: (32, 64).
        hidden (sequence of int): widths of the fully connected hidden layers. Default: (128,).
        out_features (int): outputs (classes). Default: 10.
        activation (str): as for ``mlp``. Default: ``"relu"``.
        dropout (float): dropout probability before each fully connected layer; 0 adds none. Default: 0.0.
        padding (int): zeros added around each conv's input; 1 keeps the size through a 3x3 conv, so more of
            the image's border reaches the fully connected layers. Default: 0 (the reference CNN).

    Shape:
        - input: ``(N, in_channels, H, W)``; output: ``(N, out_features)``.

    >>> model = cnn()
    >>> model(chainrule.zeros(64, 1, 28, 28)).shape
    Size([64, 10])
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"cnn(activation): expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"cnn(dropout): expected a probability in [0, 1), got {dropout!r}")
    if padding not in (0, 1):
        raise ValueError(f"cnn(padding): expected 0 or 1, got {padding!r}")
    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    layers, c = [], int(in_channels)
    for out in channels:
        layers += [nn.Conv2d(c, int(out), 3, padding=padding), ACTIVATIONS[activation](), nn.MaxPool2d(2)]
        c, h, w = int(out), (h + 2 * padding - 2) // 2, (w + 2 * padding - 2) // 2
        if h < 1 or w < 1:
            raise ValueError(f"cnn: images of size {image_size} are too small for {len(channels)} conv blocks")
    layers.append(nn.Flatten())
    sizes = [c * h * w, *(int(s) for s in hidden)]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        drop = [nn.Dropout(dropout)] if dropout > 0 else []
        layers += [*drop, nn.Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
    layers += ([nn.Dropout(dropout)] if dropout > 0 else []) + [nn.Linear(sizes[-1], out_features)]
    return nn.Sequential(*layers)

