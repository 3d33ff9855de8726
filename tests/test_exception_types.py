"""Where PyTorch raises, chainrule raises the same exception type (issue 20): common mistakes in
lecture code, each run on both libraries."""

import numpy as np
import pytest
import torch

import chainrule as cr


def _backward_twice(lib):
    x = lib.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _inplace_on_leaf(lib):
    x = lib.ones(2, requires_grad=True)
    x.add_(1)


MISTAKES = {
    "broadcast": lambda lib: lib.ones(2, 3) + lib.ones(4),
    "matmul_shapes": lambda lib: lib.ones(2, 3) @ lib.ones(2, 3),
    "index_out_of_range": lambda lib: lib.ones(3)[5],
    "reshape_invalid": lambda lib: lib.ones(6).reshape(4, 2),
    "view_two_minus_ones": lambda lib: lib.ones(6).view(-1, -1),
    "dim_out_of_range": lambda lib: lib.ones(2, 3).sum(dim=2),
    "squeeze_dim_out_of_range": lambda lib: lib.ones(2, 1).squeeze(3),
    "unsqueeze_dim_out_of_range": lambda lib: lib.ones(2).unsqueeze(3),
    "softmax_dim_out_of_range": lambda lib: lib.ones(2, 3).softmax(dim=2),
    "cat_shapes": lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]),
    "stack_shapes": lambda lib: lib.stack([lib.ones(2), lib.ones(3)]),
    "permute_wrong": lambda lib: lib.ones(2, 3).permute(0),
    "expand_bad": lambda lib: lib.ones(2, 3).expand(4, 3),
    "item_of_many": lambda lib: lib.ones(2).item(),
    "bool_of_many": lambda lib: bool(lib.ones(2)),
    "len_of_scalar": lambda lib: len(lib.tensor(1.0)),
    "ragged_list": lambda lib: lib.tensor([[1, 2], [3]]),
    "int_requires_grad": lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(),
    "numpy_with_grad": lambda lib: lib.ones(2, requires_grad=True).numpy(),
    "backward_non_scalar": lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(),
    "backward_no_grad": lambda lib: lib.ones(2).sum().backward(),
    "backward_twice": _backward_twice,
    "inplace_on_leaf": _inplace_on_leaf,
    "linear_wrong_features": lambda lib: lib.nn.Linear(3, 2)(lib.ones(4, 5)),
    "cross_entropy_target_out_of_range":
        lambda lib: lib.nn.functional.cross_entropy(lib.ones(2, 3), lib.tensor([0, 5])),
    "mse_shapes": lambda lib: lib.nn.functional.mse_loss(lib.ones(2, 3), lib.ones(2, 3, 4)),
    "sgd_negative_lr": lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=-1),
    "adam_bad_beta": lambda lib: lib.optim.Adam([lib.ones(2, requires_grad=True)], betas=(1.5, 0.9)),
    "loader_batch_size_zero": lambda lib: lib.utils.data.DataLoader([1, 2], batch_size=0),
    "tensor_dataset_sizes": lambda lib: lib.utils.data.TensorDataset(lib.ones(2), lib.ones(3)),
    "random_split_lengths": lambda lib: lib.utils.data.random_split(range(10), [3, 3]),
    "randint_empty_range": lambda lib: lib.randint(5, 5, (2,)),
    "load_missing_file": lambda lib: lib.load("/nonexistent/chainrule/model.pt"),
    "device_string": lambda lib: lib.device("gpu"),
    "one_hot_float": lambda lib: lib.nn.functional.one_hot(lib.ones(2)),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_same_exception_type_as_pytorch(name):
    call = MISTAKES[name]
    with pytest.raises(Exception) as expected:
        call(torch)
    try:
        call(cr)
    except Exception as e:  # noqa: BLE001 - the type is the point
        assert isinstance(e, type(expected.value)), (
            f"{name}: chainrule raised {type(e).__name__}: {e}; PyTorch raises {type(expected.value).__name__}")
    else:
        pytest.fail(f"{name}: chainrule did not raise; PyTorch raises {type(expected.value).__name__}")


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="must match|broadcast"):
        cr.ones(2, 3) + cr.ones(4)
    assert np.array_equal(cr.ones(2).numpy(), np.ones(2))
