"""Top-level forms of more Tensor methods (``torch.floor(x)``, ``torch.sort(x)`` ...) and constants (``pi``).

The array helpers (``hstack``, ``meshgrid``, ``broadcast_to`` ...) live in ``array_functions.py`` and the
global switches (``use_deterministic_algorithms``, ``promote_types`` ...) in ``settings.py``; this module
re-exports both, so ``__all__`` below lists all of them and ``import chainrule`` finds them at top level.

Each function calls the Tensor method or composes existing ops, so there is one implementation.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.array_functions import *  # noqa: F403 - hstack, meshgrid, cov, searchsorted ...
from chainrule.functions import _method
from chainrule.settings import *  # noqa: F403 - use_deterministic_algorithms, promote_types ...

__all__ = [
    "floor", "ceil", "round", "trunc", "fix", "frac", "reciprocal", "rsqrt", "tan", "sinh", "cosh", "asin", "acos",
    "atan", "arcsin", "arccos", "arctan", "atan2", "arctan2", "erf", "exp2", "clamp_min", "clamp_max", "lerp",
    "addcmul", "addcdiv", "cumsum", "prod", "flip", "fliplr", "flipud", "roll", "tile", "gather", "take_along_dim",
    "index_select", "masked_select", "sort", "argsort", "topk", "tril", "triu", "diag", "diagonal", "trace", "unbind",
    "movedim", "moveaxis", "nonzero", "argwhere", "count_nonzero", "unique", "isinf", "isposinf", "isneginf",
    "isclose", "isnan", "isfinite", "logical_and", "logical_or", "logical_xor", "logical_not", "sign", "square",
    "absolute", "negative", "neg", "pow", "all", "any", "hstack", "vstack", "dstack", "column_stack",
    "meshgrid", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "atleast_1d", "atleast_2d", "clone",
    "detach", "pi", "e", "inf", "nan", "newaxis", "finfo", "iinfo", "use_deterministic_algorithms",
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


def is_nonzero(input) -> bool:
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())
