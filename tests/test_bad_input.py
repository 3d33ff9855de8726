"""Bad input gets a clear error: one table of wrong calls, each checked for the exception type and for a
message that names the layer or argument, what was expected and what was given (and the fix, where
obvious), with no NumPy error text leaking through."""

import contextlib
import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.cli import main
from chainrule.data import DataLoader, TensorDataset, random_split
from chainrule.data.datasets import DatasetError, FashionMNIST
from chainrule.io import WeightsFileError, load_into, save_state_dict
from chainrule.train import fit

NUMPY_TEXT = ("operands could not be broadcast", "ufunc", "numpy", "setting an array element", "object of type",
              "not supported between instances")


def cli(*argv):
    """Run the command line; a usage error comes back as SystemExit carrying what was printed."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as e:
            assert e.code == 2
            raise SystemExit(err.getvalue()) from None


def linear_weights(tmp, shape=(4, 2)):
    path = tmp / "w.safetensors"
    save_state_dict(nn.Linear(*shape).state_dict(), path)
    return path


def xy(n=4):
    return np.zeros((n, 2), np.float32), np.zeros((n, 2), np.float32)


CASES = [
    # (id, call(tmp), exception type, substrings of the message)
    ("linear-image-not-flattened", lambda tmp: nn.Linear(784, 10)(cr.zeros(64, 28, 28)), ValueError,
     ["Linear(in_features=784)", "(64, 28, 28)", "x.view(-1, 784)"]),
    ("linear-wrong-features", lambda tmp: nn.Linear(784, 10)(cr.zeros(64, 100)), ValueError,
     ["Linear(in_features=784)", "(64, 100)", "last dimension must be 784"]),
    ("linear-float-size", lambda tmp: nn.Linear(784.0, 10), TypeError, ["Linear", "in_features", "784.0", "int"]),
    ("cross-entropy-float-target", lambda tmp: nn.CrossEntropyLoss()(cr.zeros(4, 3), cr.tensor([0., 1., 2., 0.])),
     TypeError, ["cross_entropy", "class indices are expected", "float32", "target.long()"]),
    ("nll-float-target", lambda tmp: nn.NLLLoss()(cr.zeros(4, 3), cr.tensor([0., 1., 2., 0.])), TypeError,
     ["nll_loss", "class indices", "float32", ".long()"]),
    ("class-index-out-of-range", lambda tmp: nn.CrossEntropyLoss()(cr.zeros(4, 3), cr.tensor([0, 1, 3, 0])),
     IndexError, ["cross_entropy", "target class 3", "C=3", "0 <= target < 3"]),
    ("batchnorm1d-4d-input", lambda tmp: nn.BatchNorm1d(3)(cr.zeros(2, 3, 4, 5)), ValueError,
     ["BatchNorm1d(num_features=3)", "2D or 3D", "4D input of shape (2, 3, 4, 5)", "flatten"]),
    ("batchnorm1d-channels", lambda tmp: nn.BatchNorm1d(3)(cr.zeros(2, 4)), ValueError,
     ["BatchNorm1d(num_features=3)", "(2, 4)", "3 channels"]),
    ("layernorm-shape", lambda tmp: nn.LayerNorm(5)(cr.zeros(2, 4)), RuntimeError,
     ["layer_norm", "[*, 5]", "[2, 4]"]),
    ("embedding-float-indices", lambda tmp: nn.Embedding(10, 3)(cr.zeros(2, 4)), TypeError,
     ["embedding", "integer indices", "float32", ".long()"]),
    ("embedding-index-out-of-range", lambda tmp: nn.Embedding(10, 3)(cr.tensor([1, 12])), IndexError,
     ["embedding", "index 12", "num_embeddings=10", "0 to 9"]),
    ("mse-batch-sizes", lambda tmp: nn.MSELoss()(cr.zeros(4, 1), cr.zeros(5, 1)), ValueError,
     ["mse_loss", "(4, 1)", "(5, 1)", "do not match"]),
    ("cross-entropy-batch-sizes", lambda tmp: nn.CrossEntropyLoss()(cr.zeros(4, 3), cr.tensor([0, 1, 2])),
     ValueError, ["cross_entropy", "input batch size (4)", "target batch size (3)"]),
    ("missing-dataset", lambda tmp: FashionMNIST(root=tmp / "no-such-folder", download=False), DatasetError,
     ["FashionMNIST", "cannot find the training files", "root=", "does not exist", "download=True"]),
    ("cli-unknown-optimizer", lambda tmp: cli("train", "--optimizer", "adamm"), SystemExit,
     ["--optimizer", "unknown optimizer 'adamm'", "sgd, momentum", "did you mean 'adam'?"]),
    ("cli-unknown-dataset", lambda tmp: cli("train", "--dataset", "fashion"), SystemExit,
     ["--dataset", "unknown dataset 'fashion'", "did you mean 'fashion-mnist'?"]),
    ("cli-resume-with-options", lambda tmp: cli("train", "--resume", str(tmp), "--lr", "0.1"), SystemExit,
     ["--resume", "config.json", "drop --lr", "--epochs N"]),
    ("negative-learning-rate", lambda tmp: optim.SGD(nn.Linear(2, 2).parameters(), lr=-0.1), ValueError,
     ["Invalid learning rate: -0.1", "SGD", "lr >= 0"]),
    ("learning-rate-string", lambda tmp: optim.RMSprop(nn.Linear(2, 2).parameters(), lr="0.1"), TypeError,
     ["RMSprop", "lr must be a number", "'0.1'"]),
    ("load-state-dict-other-shape", lambda tmp: nn.Linear(3, 2).load_state_dict(nn.Linear(4, 2).state_dict()),
     RuntimeError, ["Linear", "size mismatch for weight", "[2, 4]", "[2, 3]"]),
    ("load-into-other-shape", lambda tmp: load_into(nn.Linear(3, 2), linear_weights(tmp)), WeightsFileError,
     ["w.safetensors", "tensor 'weight'", "(2, 4)", "expects (2, 3)"]),
    ("add-not-broadcastable", lambda tmp: cr.zeros(2, 3) + cr.zeros(4, 5), RuntimeError,
     ["(2, 3)", "(4, 5)", "size of tensor a (3)", "tensor b (5)", "dimension 1", "broadcast"]),
    ("mul-array-not-broadcastable", lambda tmp: cr.zeros(2, 3) * np.ones((2, 2)), RuntimeError,
     ["(2, 3)", "(2, 2)", "broadcast"]),
    ("matmul-shapes", lambda tmp: cr.zeros(2, 3) @ cr.zeros(4, 5), RuntimeError,
     ["matmul", "(2, 3)", "(4, 5)", "3 != 4"]),
    ("reshape-impossible", lambda tmp: cr.zeros(2, 3).reshape(4, 2), RuntimeError,
     ["[4, 2]", "size 6", "(2, 3)"]),
    ("cat-shapes", lambda tmp: cr.cat([cr.zeros(2, 3), cr.zeros(2, 4)]), RuntimeError,
     ["cat", "dim 0", "(2, 3)", "(2, 4)"]),
    ("invalid-reduction", lambda tmp: nn.MSELoss(reduction="avg")(cr.zeros(2), cr.zeros(2)), ValueError,
     ["avg", "reduction", "'none', 'mean', 'sum'"]),
    ("invalid-dropout-p", lambda tmp: nn.Dropout(1.5), ValueError, ["Dropout(p=1.5)", "between 0 and 1"]),
    ("dataloader-batch-size-0", lambda tmp: DataLoader(TensorDataset(np.zeros((4, 2))), batch_size=0), ValueError,
     ["DataLoader", "batch_size=0", "positive integer", "batch_size=64"]),
    ("random-split-lengths", lambda tmp: random_split(TensorDataset(np.zeros((10, 2))), [3, 4]), ValueError,
     ["random_split", "lengths sum to 7", "10 samples"]),
    ("fit-negative-epochs", lambda tmp: fit(nn.Linear(2, 2), nn.MSELoss(), optim.SGD(nn.Linear(2, 2).parameters()),
                                            xy(), epochs=-1), ValueError, ["fit", "epochs", "non-negative", "-1"]),
    ("fit-checkpoint-every-alone", lambda tmp: fit(nn.Linear(2, 2), nn.MSELoss(),
                                                   optim.SGD(nn.Linear(2, 2).parameters()), xy(), checkpoint_every=10),
     ValueError, ["fit", "checkpoint_every needs checkpoint=", "checkpoint_every=100"]),
    ("optimizer-given-a-tensor", lambda tmp: optim.SGD(nn.Linear(2, 2).weight, lr=0.1), TypeError,
     ["params", "iterable of Tensors", "Tensor of shape (2, 2)", "[param]"]),
    ("tensor-index-out-of-range", lambda tmp: cr.zeros(2, 3)[5], IndexError,
     ["index 5", "dimension 0", "size 2", "shape (2, 3)"]),
    ("transpose-dim-out-of-range", lambda tmp: cr.zeros(2, 3).transpose(0, 4), IndexError,
     ["Dimension out of range", "[-2, 1]", "got 4"]),
    ("ragged-nested-list", lambda tmp: cr.tensor([[1, 2], [3]]), ValueError, ["tensor()", "rectangular", "[[1, 2], [3]]"]),
    ("adam-negative-lr", lambda tmp: optim.Adam([cr.zeros(1, requires_grad=True)], lr=-0.1), ValueError,
     ["Invalid learning rate: -0.1", "Adam", "lr >= 0"]),
    ("backward-non-scalar", lambda tmp: (cr.zeros(2, 3, requires_grad=True) * 2).backward(), RuntimeError,
     ["scalar outputs", "shape (2, 3)", "ones_like", ".sum()"]),
    ("requires-grad-integer", lambda tmp: cr.tensor([1, 2], requires_grad=True), RuntimeError,
     ["floating point", "int64", ".float()"]),
]


@pytest.fixture
def no_dataset_anywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())


@pytest.mark.parametrize("call, kind, parts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(call, kind, parts, tmp_path, no_dataset_anywhere):
    with pytest.raises(BaseException) as info:
        call(tmp_path)
    assert type(info.value) is kind or isinstance(info.value, kind), f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    for part in parts:
        assert part in message, f"{part!r} not in: {message}"
    for text in NUMPY_TEXT:
        assert text not in message.lower(), f"NumPy's text {text!r} in: {message}"


def test_the_table_is_big_enough():
    assert len(CASES) >= 20 and len({c[0] for c in CASES}) == len(CASES)
