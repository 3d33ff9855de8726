"""Top-level forms of more Tensor methods (``torch.floor(x)``, ``torch.sort(x)`` ...), array helpers
(``hstack``, ``meshgrid``, ``broadcast_to`` ...), constants and reproducibility switches.

Each function calls the Tensor method or composes existing ops, so there is one implementation.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.functions import _method, cat, stack
from chainrule.tensor import Tensor, _as_array

__all__ = [
    "floor", "ceil", "round", "trunc", "fix", "frac", "reciprocal", "rsqrt", "tan", "sinh", "cosh", "asin", "acos",
    "atan", "arcsin", "arccos", "arctan", "atan2", "arctan2", "erf", "exp2", "clamp_min", "clamp_max", "lerp",
    "addcmul", "addcdiv", "cumsum", "prod", "flip", "fliplr", "flipud", "roll", "tile", "gather", "take_along_dim",
    "index_select", "masked_select", "sort", "argsort", "topk", "tril", "triu", "diag", "diagonal", "trace", "unbind",
    "movedim", "moveaxis", "nonzero", "argwhere", "count_nonzero", "unique", "isinf", "isposinf", "isneginf",
    "isclose", "isnan", "isfinite", "logical_and", "logical_or", "logical_xor", "logical_not", "sign", "square",
    "absolute", "negative", "neg", "pow", "sigmoid", "all", "any", "hstack", "vstack", "dstack", "column_stack",
    "meshgrid", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "atleast_1d", "atleast_2d", "clone",
    "detach", "numel", "pi", "e", "inf", "nan", "newaxis", "finfo", "iinfo", "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled", "set_printoptions", "is_floating_point", "is_nonzero", "logspace",
    "diff", "cumprod", "inverse", "det", "median", "nansum", "nanmean", "logaddexp", "cross", "select", "kron",
    "bincount", "histc", "std_mean", "var_mean", "cdist", "isin", "searchsorted", "bucketize", "tensordot",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "remainder",
    "fmod",
    "floor_divide",
    "float_power",
    "hypot",
    "xlogy",
    "logit",
    "signbit",
    "nan_to_num",
    "positive",
    "ravel",
    "take",
    "t",
    "swapaxes",
    "swapdims",
    "narrow",
    "masked_fill",
    "repeat_interleave",
    "tensor_split",
    "split_with_sizes",
    "vsplit",
    "hsplit",
    "rot90",
    "kthvalue",
    "aminmax",
    "logdet",
    "slogdet",
    "matrix_power",
    "dist",
    "vdot",
    "is_same_size",
    "zero_",
    "fill_",
    "clamp_",
    "detach_",
    "abs_",
    "exp_",
    "log_",
    "sqrt_",
    "sigmoid_",
    "tanh_",
    "relu_",
    "neg_",
    "floor_",
    "ceil_",
    "round_",
    "trunc_",
    "reciprocal_",
    "sin_",
    "cos_",
    "log1p_",
    "expm1_",
    "promote_types", "result_type", "can_cast", "typename", "randint_like", "scalar_tensor", "tril_indices",
    "triu_indices", "cov", "corrcoef", "set_num_interop_threads", "get_num_interop_threads",
    "set_float32_matmul_precision", "get_float32_matmul_precision", "set_default_tensor_type", "is_anomaly_enabled",
    "set_anomaly_enabled", "set_warn_always", "is_warn_always_enabled", "atleast_3d", "row_stack", "cartesian_prod",
    "block_diag", "scatter", "scatter_add", "index_add",
    "cosine_similarity", "pairwise_distance", "pdist",
]

floor = _method("floor")
ceil = _method("ceil")
round = _method("round")  # noqa: A001
trunc = _method("trunc")
fix = _method("fix")
frac = _method("frac")
reciprocal = _method("reciprocal")
rsqrt = _method("rsqrt")
tan = _method("tan")
sinh = _method("sinh")
cosh = _method("cosh")
asin = _method("asin")
acos = _method("acos")
atan = _method("atan")
arcsin = _method("arcsin")
arccos = _method("arccos")
arctan = _method("arctan")
atan2 = _method("atan2")
arctan2 = _method("arctan2")
erf = _method("erf")
exp2 = _method("exp2")
clamp_min = _method("clamp_min")
clamp_max = _method("clamp_max")
lerp = _method("lerp")
addcmul = _method("addcmul")
addcdiv = _method("addcdiv")
cumsum = _method("cumsum")
prod = _method("prod")
flip = _method("flip")
fliplr = _method("fliplr")
flipud = _method("flipud")
roll = _method("roll")
tile = _method("tile")
gather = _method("gather")
take_along_dim = _method("take_along_dim")
index_select = _method("index_select")
masked_select = _method("masked_select")
sort = _method("sort")
argsort = _method("argsort")
topk = _method("topk")
tril = _method("tril")
triu = _method("triu")
diag = _method("diag")
diagonal = _method("diagonal")
trace = _method("trace")
unbind = _method("unbind")
movedim = _method("movedim")
moveaxis = _method("moveaxis")
nonzero = _method("nonzero")
argwhere = _method("argwhere")
count_nonzero = _method("count_nonzero")
unique = _method("unique")
isinf = _method("isinf")
isposinf = _method("isposinf")
isneginf = _method("isneginf")
isclose = _method("isclose")
isnan = _method("isnan")
isfinite = _method("isfinite")
logical_and = _method("logical_and")
logical_or = _method("logical_or")
logical_xor = _method("logical_xor")
logical_not = _method("logical_not")
sign = _method("sign")
square = _method("square")
absolute = _method("absolute")
negative = _method("negative")
neg = _method("neg")
pow = _method("pow")  # noqa: A001
sigmoid = _method("sigmoid")
all = _method("all")  # noqa: A001
any = _method("any")  # noqa: A001
clone = _method("clone")
detach = _method("detach")
is_floating_point = _method("is_floating_point")
inverse = _method("inverse")
det = _method("det")
median = _method("median")
nansum = _method("nansum")
nanmean = _method("nanmean")
logaddexp = _method("logaddexp")
cross = _method("cross")
select = _method("select")
kron = _method("kron")
bincount = _method("bincount")
histc = _method("histc")
scatter = _method("scatter")
scatter_add = _method("scatter_add")
index_add = _method("index_add")
eq = _method("eq")
ne = _method("ne")
lt = _method("lt")
le = _method("le")
gt = _method("gt")
ge = _method("ge")
greater = _method("greater")
greater_equal = _method("greater_equal")
less = _method("less")
less_equal = _method("less_equal")
not_equal = _method("not_equal")
remainder = _method("remainder")
fmod = _method("fmod")
floor_divide = _method("floor_divide")
float_power = _method("float_power")
hypot = _method("hypot")
xlogy = _method("xlogy")
logit = _method("logit")
signbit = _method("signbit")
nan_to_num = _method("nan_to_num")
positive = _method("positive")
ravel = _method("ravel")
take = _method("take")
t = _method("t")
swapaxes = _method("swapaxes")
swapdims = _method("swapdims")
narrow = _method("narrow")
masked_fill = _method("masked_fill")
repeat_interleave = _method("repeat_interleave")
tensor_split = _method("tensor_split")
split_with_sizes = _method("split_with_sizes")
vsplit = _method("vsplit")
hsplit = _method("hsplit")
rot90 = _method("rot90")
kthvalue = _method("kthvalue")
aminmax = _method("aminmax")
logdet = _method("logdet")
slogdet = _method("slogdet")
matrix_power = _method("matrix_power")
dist = _method("dist")
vdot = _method("vdot")
is_same_size = _method("is_same_size")
zero_ = _method("zero_")
fill_ = _method("fill_")
clamp_ = _method("clamp_")
detach_ = _method("detach_")
abs_ = _method("abs_")
exp_ = _method("exp_")
log_ = _method("log_")
sqrt_ = _method("sqrt_")
sigmoid_ = _method("sigmoid_")
tanh_ = _method("tanh_")
relu_ = _method("relu_")
neg_ = _method("neg_")
floor_ = _method("floor_")
ceil_ = _method("ceil_")
round_ = _method("round_")
trunc_ = _method("trunc_")
reciprocal_ = _method("reciprocal_")
sin_ = _method("sin_")
cos_ = _method("cos_")
log1p_ = _method("log1p_")
expm1_ = _method("expm1_")

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None
finfo = np.finfo  # finfo(chainrule.float32).eps, .max, .tiny: chainrule's dtypes are NumPy's
iinfo = np.iinfo

_deterministic = False


def numel(input) -> int:
    return input.numel()


def is_nonzero(input) -> bool:
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: chainrule's CPU algorithms are deterministic already (same inputs, same bits)."""
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Printing options, as ``torch.set_printoptions`` (NumPy's printer underneath)."""
    options = {k: v for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                                     linewidth=linewidth).items() if v is not None}
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    np.set_printoptions(**options)


def _tensors(tensors):
    return [t if isinstance(t, Tensor) else Tensor(_as_array(t)) for t in tensors]


def atleast_1d(*tensors):
    out = [t.reshape(1) if t.ndim == 0 else t for t in _tensors(tensors)]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*tensors):
    out = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors)]
    return out[0] if len(out) == 1 else tuple(out)


def hstack(tensors) -> Tensor:
    """Join along dimension 1 (dimension 0 for 1-D tensors)."""
    tensors = [atleast_1d(t) for t in _tensors(tensors)]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([atleast_2d(t) for t in _tensors(tensors)], 0)


def dstack(tensors) -> Tensor:
    ts = [t.reshape(1, -1, 1) if t.ndim == 1 else t.unsqueeze(-1) if t.ndim == 2 else t for t in _tensors(tensors)]
    return cat(ts, 2)


def column_stack(tensors) -> Tensor:
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in _tensors(tensors)], 1)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids; ``indexing='ij'`` (matrix, PyTorch's default) or ``'xy'`` (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    ts = _tensors(tensors)
    n = len(ts)
    shape = [t.numel() for t in ts]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        axis = i if indexing == "ij" or n < 2 or i > 1 else 1 - i
        view = [1] * n
        view[axis] = t.numel()
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def broadcast_shapes(*shapes):
    from chainrule.tensor import Size

    try:
        return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {list(shapes)}") from None


def broadcast_to(input, size) -> Tensor:
    return input.expand(size)


def broadcast_tensors(*tensors):
    ts = _tensors(tensors)
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None) -> Tensor:
    from chainrule.creation import linspace

    return linspace(start, end, steps, dtype=dtype or np.float64, device=device).mul(math.log(base)).exp() \
        .to(dtype or __import__("chainrule").get_default_dtype()).requires_grad_(requires_grad)


def diff(input, n=1, dim=-1) -> Tensor:
    """Differences of neighbours along ``dim``, ``n`` times."""
    out = input
    for _ in range(n):
        size = out.shape[dim]
        out = out.narrow(dim, 1, size - 1) - out.narrow(dim, 0, size - 1)
    return out


def cumprod(input, dim, *, dtype=None) -> Tensor:
    """Running products along ``dim`` (a product per step: exact with zeros, gradients included)."""
    x = input.to(dtype) if dtype is not None else input
    parts = x.unbind(dim)
    acc, out = parts[0], [parts[0]]
    for p in parts[1:]:
        acc = acc * p
        out.append(acc)
    return stack(out, dim)


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    """(std, mean) over ``dim``, as ``torch.std_mean``."""
    return input.std(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim=keepdim)


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    """(var, mean) over ``dim``, as ``torch.var_mean``."""
    return input.var(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim=keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` (*, P, M) and ``x2`` (*, R, M): (*, P, R).

    Batch dimensions broadcast. ``p`` >= 0, including ``inf``; for p = 2 with more than 25 rows on either
    side (or ``compute_mode="use_mm_for_euclid_dist"``) the distances come from one matrix product,
    ``|a|^2 - 2 a.b + |b|^2``, as in PyTorch. Gradients follow PyTorch's: 0 at a zero distance, and for
    p = inf the full gradient to every coordinate that attains the maximum. Memory stays bounded: the
    differences are formed a block of rows at a time.
    """
    from chainrule.ops.distance import CDist

    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got p={p}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"cdist: compute_mode must be one of {modes}, got {compute_mode!r}")
    batch = tuple(np.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2])))
    (n, m), r = x1.shape[-2:], x2.shape[-2]
    a = x1.expand(*batch, n, m).reshape(-1, n, m)
    b = x2.expand(*batch, r, m).reshape(-1, r, m)
    if a.dtype != b.dtype:
        common = np.result_type(a._data, b._data)
        a, b = a.to(common), b.to(common)
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist"
                         or (compute_mode == "use_mm_for_euclid_dist_if_necessary" and (n > 25 or r > 25)))
    return CDist.apply(a, b, p=float(p), use_mm=use_mm).reshape(*batch, n, r)


def cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor:
    """``torch.cosine_similarity``: see ``nn.functional.cosine_similarity``."""
    from chainrule.nn.functional import cosine_similarity as f

    return f(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor:
    """``torch.pairwise_distance``: see ``nn.functional.pairwise_distance``."""
    from chainrule.nn.functional import pairwise_distance as f

    return f(x1, x2, p, eps, keepdim)


def pdist(input, p=2.0) -> Tensor:
    """``torch.pdist``: see ``nn.functional.pdist``."""
    from chainrule.nn.functional import pdist as f

    return f(input, p)


def isin(elements, test_elements, *, assume_unique=False, invert=False) -> Tensor:
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._wrap(np.isin(e, t, invert=invert))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None) -> Tensor:
    """Indices where ``values`` would be inserted to keep each row of ``sorted_sequence`` sorted."""
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    vals = values._data if isinstance(values, Tensor) else np.asarray(values)
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=side)
    else:
        out = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(seq.reshape(-1, seq.shape[-1]),
                                                                        vals.reshape(-1, vals.shape[-1]))])
        out = out.reshape(vals.shape)
    return Tensor._wrap(out.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """The bucket of each value: ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``<=`` on the left)."""
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    out = np.searchsorted(boundaries._data, x, side="right" if right else "left")
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b`` (or given lists)."""
    import string

    from chainrule.arith import einsum

    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in [d % a.ndim for d in da]] + \
          [c for j, c in enumerate(sb) if j not in [d % b.ndim for d in db]]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


_matmul_precision = "highest"
_warn_always = False


def promote_types(type1, type2):
    """The dtype both convert to, by PyTorch's rules (int64 with float32 is float32)."""
    from chainrule import dtypes

    return dtypes.promote_types(np.dtype(type1), np.dtype(type2))


def result_type(tensor1, tensor2):
    """The dtype of an operation between the two (tensors or numbers), by PyTorch's rules."""
    from chainrule import dtypes

    if not isinstance(tensor1, Tensor):
        tensor1, tensor2 = tensor2, tensor1
    if not isinstance(tensor2, Tensor):  # a Python number never widens a tensor of its own category
        return dtypes.scalar_result_type(tensor1.dtype, tensor2) or tensor1.dtype
    return dtypes.result_type(tensor1._data, tensor2._data)


def can_cast(from_, to) -> bool:
    """Whether a cast is allowed by PyTorch's same-kind rule (no float to int, no int to bool)."""
    f, t = np.dtype(from_), np.dtype(to)
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return order[f.kind] <= order[t.kind]


def typename(obj) -> str:
    """``'torch.FloatTensor'`` for a float32 tensor, else the object's type name."""
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers of ``input``'s shape (and dtype unless given)."""
    from chainrule.creation import randint

    return randint(low, high, tuple(input.shape), generator=generator, device=device).to(dtype or input.dtype)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding ``s`` (the default float dtype unless given)."""
    from chainrule.creation import tensor

    return tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def tril_indices(row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the lower triangle, as a 2 x N tensor."""
    return Tensor._wrap(np.stack(np.tril_indices(row, offset, col)).astype(dtype or np.int64))


def triu_indices(row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the upper triangle, as a 2 x N tensor."""
    return Tensor._wrap(np.stack(np.triu_indices(row, offset, col)).astype(dtype or np.int64))


def cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns)."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights and aweights are not supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    centred = x - x.mean(1, keepdim=True)
    out = centred @ centred.t() / (x.shape[1] - correction)
    return out if input.ndim == 2 else out.reshape(())


def corrcoef(input) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return c / (d.unsqueeze(1) * d.unsqueeze(0))


def set_num_interop_threads(n: int) -> None:
    """Accepted: chainrule has no inter-op thread pool (see ``set_num_threads`` for BLAS)."""


def get_num_interop_threads() -> int:
    return 1


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted: NumPy's float32 products always use full precision."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or 'medium'")
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision


def set_default_tensor_type(t) -> None:
    """The legacy switch: ``FloatTensor`` / ``DoubleTensor`` (or their names) set the default float dtype."""
    from chainrule import dtypes

    name = t if isinstance(t, str) else t.__name__
    dtypes.set_default_dtype({"FloatTensor": np.float32, "DoubleTensor": np.float64}[name.rsplit(".", 1)[-1]])


def is_anomaly_enabled() -> bool:
    from chainrule.autograd import is_anomaly_enabled as enabled

    return enabled()


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    from chainrule.autograd.grad_mode import GradMode

    GradMode.anomaly = bool(enabled)


def set_warn_always(b: bool) -> None:
    global _warn_always
    _warn_always = bool(b)


def is_warn_always_enabled() -> bool:
    return _warn_always


def atleast_3d(*tensors):
    out = []
    for t in _tensors(tensors):
        out.append(t.reshape(1, 1, 1) if t.ndim == 0 else t.reshape(1, -1, 1) if t.ndim == 1 else
                   t.unsqueeze(-1) if t.ndim == 2 else t)
    return out[0] if len(out) == 1 else tuple(out)


row_stack = vstack


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D tensor, one per row."""
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1) if len(grids) > 1 else grids[0]


def block_diag(*tensors) -> Tensor:
    """The tensors (matrices, vectors or numbers) along the diagonal of one block matrix."""
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors)]
    cols = sum(t.shape[1] for t in ts)
    rows, start = [], 0
    for t in ts:
        left = Tensor._wrap(np.zeros((t.shape[0], start), t.dtype))
        right = Tensor._wrap(np.zeros((t.shape[0], cols - start - t.shape[1]), t.dtype))
        rows.append(cat([left, t, right], 1))
        start += t.shape[1]
    return cat(rows, 0)
