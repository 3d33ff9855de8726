"""Neural-network building blocks with PyTorch's names: ``Module``, layers, activations, losses, ``init``.

>>> from chainrule import nn
>>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
>>> model
Sequential(
  (0): Linear(in_features=784, out_features=256, bias=True)
  (1): ReLU()
  (2): Linear(in_features=256, out_features=10, bias=True)
)
"""

from chainrule.nn import functional, init, utils  # noqa: F401
from chainrule.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Softmin, Softplus, Tanh
from chainrule.nn.container import ModuleDict, ModuleList, Sequential
from chainrule.nn.dropout import Dropout
from chainrule.nn.embedding import Embedding
from chainrule.nn.embedding_bag import EmbeddingBag
from chainrule.nn.linear import Flatten, Identity, Linear, Unflatten
from chainrule.nn.module import Module
from chainrule.nn.norm import BatchNorm1d, LayerNorm
from chainrule.nn.parameter import Parameter
from chainrule.nn.summary import summary

__all__ = [
    "ELU", "GELU", "BatchNorm1d", "Dropout", "Embedding", "EmbeddingBag", "Flatten", "Identity", "LayerNorm", "LeakyReLU",
    "Linear", "LogSoftmax", "Module", "ModuleDict", "ModuleList", "Parameter", "ReLU", "Sequential", "SiLU",
    "Sigmoid", "Softmax", "Softmin", "Softplus", "Tanh", "Unflatten", "functional", "init", "summary", "utils",
]

from chainrule.nn import regularization  # noqa: E402
from chainrule.nn.loss import *  # noqa: E402, F403
from chainrule.nn.loss import __all__ as _loss_names  # noqa: E402

__all__ += list(_loss_names) + ["regularization"]

from chainrule.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: E402
from chainrule.nn.dropout import Dropout2d  # noqa: E402
from chainrule.nn.norm2d import BatchNorm2d, GroupNorm  # noqa: E402
from chainrule.nn.pooling import (  # noqa: E402
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
    MaxPool2d,
)
from chainrule.nn.resample import ConstantPad2d, ReflectionPad2d, ReplicationPad2d, Upsample, ZeroPad2d  # noqa: E402

__all__ += [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
    "BatchNorm2d", "ConstantPad2d", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Dropout2d", "GroupNorm",
    "MaxPool1d", "MaxPool2d", "ReflectionPad2d", "ReplicationPad2d", "Upsample", "ZeroPad2d",
]

from chainrule.nn.activation_more import *  # noqa: E402, F403
from chainrule.nn.activation_more import __all__ as _activation_names  # noqa: E402

__all__ += list(_activation_names)

from chainrule.nn.loss_more import *  # noqa: E402, F403
from chainrule.nn.loss_more import __all__ as _more_loss_names  # noqa: E402

__all__ += list(_more_loss_names)

from chainrule.nn.parameter_containers import ParameterDict, ParameterList  # noqa: E402

__all__ += ["ParameterDict", "ParameterList"]

from chainrule.nn.multihead_attention import MultiheadAttention  # noqa: E402

__all__ += ["MultiheadAttention"]

from chainrule.nn.rmsnorm import RMSNorm  # noqa: E402
from chainrule.nn.shuffle import Bilinear, ChannelShuffle, PixelShuffle, PixelUnshuffle  # noqa: E402

__all__ += ["RMSNorm", "Bilinear", "ChannelShuffle", "PixelShuffle", "PixelUnshuffle"]

from chainrule.nn.transformer import (  # noqa: E402
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
)

__all__ += ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer"]

from chainrule.nn.rnn import GRU, LSTM, RNN, RNNBase  # noqa: E402
from chainrule.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

from chainrule.nn import parallel  # noqa: E402 - DistributedDataParallel (MPI, see chainrule.distributed)
