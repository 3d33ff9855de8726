"""Generate ``docs/api-coverage.md``: PyTorch's public names and what chainrule does with each.

For the namespaces lecture code uses (``torch``, ``torch.Tensor``, ``torch.nn``,
``torch.nn.functional``, ``torch.optim``, ``torch.utils.data``) the installed PyTorch is asked for its
public names, and each is classified:

- **yes**: chainrule has it under the same name;
- **yes, differs**: chainrule has it, with a difference documented in ``DIFFERENCES`` below;
- **no: <reason>**: deliberately not supported (a rule in ``REASONS`` says why: GPU-only, TorchScript
  internals, quantisation, sparse or complex tensors ...);
- **not yet**: nothing decided; a candidate for future work.

Usage::

    python scripts/api_coverage.py            # rewrite docs/api-coverage.md
    python scripts/api_coverage.py --check    # exit 1 if the committed file is stale

Run it in a fresh interpreter (as the test does): ``dir(torch)`` grows as torch's submodules are imported.

``tests/test_api_coverage.py`` regenerates the table against the chainrule being tested and fails when
the committed file differs, so any change to chainrule's API must come with a regenerated table.
"""

# ruff: noqa: E501 - the classification rules are long regular expressions, one per line
from __future__ import annotations

import argparse
import importlib
import re
import sys
import types
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "api-coverage.md"

# (title, torch path, chainrule path)
NAMESPACES = [
    ("torch", "torch", "chainrule"),
    ("torch.Tensor", "torch.Tensor", "chainrule.Tensor"),
    ("torch.nn", "torch.nn", "chainrule.nn"),
    ("torch.nn.functional", "torch.nn.functional", "chainrule.nn.functional"),
    ("torch.optim", "torch.optim", "chainrule.optim"),
    ("torch.utils.data", "torch.utils.data", "chainrule.utils.data"),
]

# Coverage measured with this script on main at commit 8a17481, before issue 20's work (devices,
# sampling, tensor methods, custom Functions, per-sample transforms). Kept for the record.
BEFORE = {
    "torch": (106, 1009), "torch.Tensor": (111, 604), "torch.nn": (37, 182), "torch.nn.functional": (29, 153),
    "torch.optim": (9, 19), "torch.utils.data": (13, 36),
}

# Names chainrule has, but with a difference worth knowing. Keyed by (namespace, name).
DIFFERENCES = {
    ("torch", "save"): "writes safetensors, never pickle; a whole Module is refused (save its state_dict)",
    ("torch", "load"): "reads chainrule's safetensors files; PyTorch's pickles are recognised and refused",
    ("torch", "device"): "only CPU devices can be used; a GPU device raises RuntimeError naming it",
    ("torch", "set_default_device"): "accepts CPU devices only",
    ("torch", "float32"): "dtypes are NumPy's (`chainrule.float32 is numpy.dtype('float32')`)",
    ("torch", "float64"): "dtypes are NumPy's",
    ("torch", "Generator"): "PCG64 underneath: same seeds give other numbers than PyTorch's Mersenne Twister",
    ("torch", "manual_seed"): "seeds chainrule's PCG64 generator: streams differ from PyTorch's",
    ("torch", "normal"): "same distribution, not the same numbers as PyTorch for a seed",
    ("torch", "multinomial"): "same distribution, not the same numbers as PyTorch for a seed",
    ("torch", "bernoulli"): "same distribution, not the same numbers as PyTorch for a seed",
    ("torch", "poisson"): "same distribution, not the same numbers as PyTorch for a seed",
    **{("torch", n): "a factory with a dtype making an ordinary Tensor (sizes give zeros, not uninitialised memory); "
                     "isinstance checks the dtype" for n in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
                                                             "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                                                             "BoolTensor")},
    ("torch", "distributions"): "Normal, Categorical, Bernoulli, Uniform and kl_divergence of two Normals only",
    ("torch", "linalg"): "norm, vector_norm, matrix_norm, inv, det, solve only",
    ("torch", "cuda"): "queries only: is_available() is False, device_count() 0; seeding is accepted",
    ("torch", "backends"): "mps.is_available() is False; cudnn flags are accepted and change nothing",
    ("torch", "accelerator"): "is_available() is False, current_accelerator() None",
    ("torch", "Tensor"): "`Tensor(2, 3)` gives zeros where PyTorch leaves memory uninitialised",
    ("torch.Tensor", "view"): "may copy where PyTorch shares memory (NumPy reshape); never raises for non-contiguous input",
    ("torch.Tensor", "contiguous"): "returns self: NumPy arrays need no contiguity for chainrule's ops",
    ("torch.Tensor", "device"): "always `device(type='cpu')`",
    ("torch.Tensor", "cuda"): "raises RuntimeError: chainrule runs on the CPU only",
    ("torch.Tensor", "dtype"): "a NumPy dtype",
    ("torch.Tensor", "type"): "returns names such as 'chainrule.FloatTensor'",
    ("torch.Tensor", "data"): "a detached tensor sharing memory, as PyTorch; the raw array is `._data`",
    ("torch.Tensor", "add_"): "in-place ops are not recorded in the graph (they raise on tensors in a recorded graph)",
    ("torch.nn", "Module"): "`to(device)` accepts CPU devices only",
    ("torch.optim", "Optimizer"): "`step(closure)` as PyTorch",
    ("torch.utils.data", "DataLoader"): "works in the calling process: num_workers and friends are accepted and ignored",
    ("torch.utils.data", "Dataset"): "datasets apply `transform=` per sample (torchvision's meaning); `batch_transform=` is chainrule's vectorised fast path",
}

_NO_GPU = "GPU / accelerator backend; chainrule runs on the CPU"
_NO_JIT = "TorchScript / compiler / dispatcher internals; chainrule is eager Python"
_NO_QUANT = "quantisation"
_NO_SPARSE = "sparse or nested tensors"
_NO_COMPLEX = "complex numbers"
_NO_STORAGE = "typed storages and legacy tensor types; chainrule tensors wrap NumPy arrays"
_NO_DIST = "distributed training"
_NO_INTERNAL = "internal kernel entry point (use the public op)"

# (namespace or None for all, regular expression on the name, reason). The first match wins.
REASONS = [
    (None, r"^(cuda|cudnn|mps|xpu|mtia|ipu|hpu|maia|xla|vulkan|mkldnn|miopen|npu|accelerator)", _NO_GPU),
    (None, r"(_cuda|cudnn|_mps|mkldnn|miopen|_xpu|_mtia|_ipu|_vulkan|_xla|_maia|fbgemm|_nnpack)", _NO_GPU),
    ("torch.Tensor", r"^(is_cuda|is_mps|is_xpu|is_mtia|is_ipu|is_maia|is_xla|is_vulkan|is_meta|pin_memory|is_pinned|record_stream)$", _NO_GPU),
    (None, r"^(q_|quantize|dequantize|quantized|fake_quantize|int_repr|qscheme|fused_moving_avg|choose_qparams|per_channel|per_tensor|qint|quint|QInt|QUInt)", _NO_QUANT),
    (None, r"(quantiz|fake_quant|_qparams)", _NO_QUANT),
    (None, r"(sparse|coalesce|_indices_copy|^indices$|^values$|^crow_indices|^col_indices|^ccol_indices|^row_indices|nested|to_padded_tensor|^smm$|^sspaddmm$|^jagged$)", _NO_SPARSE),
    (None, r"(complex|^conj|^angle$|^imag$|^real$|^view_as_real|^view_as_complex|^polar$|^chalf|^cfloat|^cdouble|^is_conj|^resolve_conj|^resolve_neg|^is_neg$|^adjoint$|^mH$|^H$|^sgn_?$|^isreal$)", _NO_COMPLEX),
    (None, r"(Storage|storage|^data_ptr|^const_data_ptr|^untyped|^set_$|^is_set_to$|^share_memory_|^is_shared$|^stride$|^as_strided|^storage_offset|^dim_order$|^[A-Z][a-z]*Tensor$)", _NO_STORAGE),
    ("torch", r"^(jit|compile|compiler|fx|export|onnx|library|ops|classes|func|_dynamo|overrides|package|profiler|autocast|amp|Script|Graph|Node|Block|Value|Use|Type|.*Type$|FunctionSchema|Argument|AliasDb|CompilationUnit|ConcreteModuleType|ErrorReport|FileCheck|Code|CallStack|Capsule|Tag|DispatchKey|DispatchKeySet|ExcludeDispatchKeyGuard|DisableTorchFunction|TracingState|ExecutionPlan|GraphExecutorState|StaticModule|ThroughputBenchmark|Benchmark|LiteScriptModule|PyTorchFile|IODescriptor|OperatorInfo|Sym|sym_|AggregationType|AVG|SUM|Gradient|DeepCopyMemoTable|Deserialization|Serialization|InferredType|JITException|LockingLogger|NoopLogger|LoggerBase|PRIVATE_OPS|Stream|Event|Future|wait|fork|cond|while_loop|vmap|aoti|_export|cpp|ao|futures|return_types|torch_version|merge_type_from_type_comment|import_ir_module.*|classproperty|ScriptObject.*|BufferDict|ModuleDict|ParameterDict|ArgumentSpec|CompleteArgumentSpec|ConcreteModuleTypeBuilder|DisableTorchFunctionSubclass|ScriptClass.*|ScriptDict.*|ScriptList.*|ScriptFunction|ScriptMethod|ScriptModule.*|SymBool|SymFloat|SymInt)$", _NO_JIT),
    ("torch", r"^(autocast.*|clear_autocast_cache|get_autocast.*|set_autocast.*|is_autocast.*|GradScaler)$", "mixed-precision autocast (float32 is chainrule's training dtype)"),
    ("torch", r"^(hub|monitor|testing|mobile|package|profiler|multiprocessing|version|types|serialization)$", "tooling outside a NumPy library's scope"),
    ("torch", r"^(float8_.*|float4_.*|bfloat16|bits.*|int[1-7]|uint[1-7]|uint16|uint32|uint64|qint.*|quint.*)$", "dtype NumPy does not have"),
    ("torch", r"^(batch_norm_|native_|_|cudnn|miopen|mkldnn|slow_conv|thnn_|conv_tbc|convolution$|affine_grid_generator|embedding_renorm_|quantized_|fbgemm|rnn_tanh_cell|rnn_relu_cell|lstm_cell|gru_cell|_?fused|segment_reduce|constant_pad_nd|alias_copy|.*_copy$|.*_scatter$|.*_backward.*)", _NO_INTERNAL),
    (None, r"(distributed|DataParallel|SyncBatchNorm|^broadcast_coalesced|reduce_add)", _NO_DIST),
    ("torch.nn", r"^(Lazy|Uninitialized|intrinsic|qat|quantizable|quantized|modules|common_types|factory_kwargs|parameter|attention|Container)", "lazy modules and internal submodules"),
    ("torch.utils.data", r"^(DistributedSampler|get_worker_info|IterDataPipe|MapDataPipe|DataChunk|datapipes|dataloader|sampler|dataset|graph|graph_settings|communication|functional_datapipe|guaranteed_datapipes_determinism|non_deterministic|argument_validation|runtime_validation|runtime_validation_disabled|DFIterDataPipe)$", "multi-process workers and DataPipes (the loader runs in-process)"),
]
REASONS += [
    ("torch.nn.functional", r"^(BroadcastingList\d|Callable|handle_torch_function|has_torch_function.*|boolean_dispatch|assert_int_or_pair|.*_notes|torch|DType|ScalingType|SwizzleType|grouped_mm|scaled_.*mm)$", "typing aliases, dispatch helpers and documentation strings, not API"),
    ("torch.nn", r"^(grad|parallel)$", "internal submodules (gradients of convolutions; multi-device parallelism)"),
    ("torch.optim", r"^(swap_in_optimizer_params_and_state|SparseAdam)$", "internal helper / sparse tensors"),
]
_COMPILED = [(ns, re.compile(rx), why) for ns, rx, why in REASONS]


def _resolve(path: str):
    """Import ``a.b`` and walk ``.C`` attributes for paths such as ``torch.Tensor``."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(path)


def public_names(obj) -> list[str]:
    """The public names of a torch namespace, without the standard-library modules it imports."""
    names = []
    for n in dir(obj):
        if n.startswith("_") or n in ("TYPE_CHECKING", "USE_GLOBAL_DEPS", "USE_RTLD_GLOBAL_WITH_LIBTORCH"):
            continue
        value = getattr(obj, n, None)
        if isinstance(value, types.ModuleType) and not value.__name__.startswith("torch"):
            continue  # `torch.os`, `torch.math`...: imports, not API
        if value is not None and getattr(value, "__module__", "") == "typing":
            continue
        names.append(n)
    return sorted(names)


def classify(ns_title: str, name: str, ours) -> tuple[str, str]:
    """(status, note) of one name; ``ours`` is chainrule's namespace object."""
    try:
        has = hasattr(ours, name)
    except Exception:  # a property that raises still means the name exists
        has = True
    if has:
        diff = DIFFERENCES.get((ns_title, name))
        return ("yes, differs", diff) if diff else ("yes", "")
    for ns, rx, why in _COMPILED:
        if (ns is None or ns == ns_title) and rx.search(name):
            return "no", why
    return "not yet", ""


def generate() -> str:
    import torch

    rows_by_ns = {}
    for title, tpath, cpath in NAMESPACES:
        theirs, ours = _resolve(tpath), _resolve(cpath)
        rows_by_ns[title] = [(n, *classify(title, n, ours)) for n in public_names(theirs)]

    lines = [
        "# PyTorch API coverage",
        "",
        "Generated by `python scripts/api_coverage.py` from PyTorch "
        f"{torch.__version__.split('+')[0]}; do not edit by hand. "
        "`tests/test_api_coverage.py` fails when this file is stale.",
        "",
        "Status: **yes** (same name and meaning), **yes, differs** (a documented difference), "
        "**no** (deliberately not supported, with the reason), **not yet** (undecided: future work). "
        "*Coverage* is yes / all names; *of in-scope* leaves out the deliberate **no**s.",
        "",
        "| namespace | names | yes | yes, differs | no (deliberate) | not yet | coverage | of in-scope | before issue 20 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for title, rows in rows_by_ns.items():
        counts = {s: sum(1 for r in rows if r[1] == s) for s in ("yes", "yes, differs", "no", "not yet")}
        supported = counts["yes"] + counts["yes, differs"]
        total = len(rows)
        scope = total - counts["no"]
        b_sup, b_tot = BEFORE[title]
        before = f"{100 * b_sup / b_tot:.1f}% ({b_sup})" if b_tot else "-"
        lines.append(
            f"| `{title}` | {total} | {counts['yes']} | {counts['yes, differs']} | {counts['no']} | "
            f"{counts['not yet']} | {100 * supported / total:.1f}% | {100 * supported / max(scope, 1):.1f}% | {before} |"
        )
    lines += [
        "",
        "**Views.** Where PyTorch returns a view, chainrule shares memory too for `detach`, `data`, "
        "basic indexing and slicing (`t[1:3]`, `t[:, 0]`), `narrow`, `split`, `chunk`, "
        "`T`/`t`/`transpose`/`permute`, `expand` (read-only), `numpy()` and `from_numpy`; "
        "`view`/`reshape`/`flatten`/`squeeze`/`unsqueeze` share memory whenever NumPy can (contiguous "
        "input) and copy otherwise, where PyTorch's `view` would raise. Advanced indexing (`t[[0, 2]]`, "
        "`t[mask]`), `clone` and dtype conversions copy, as in PyTorch. `tests/test_views.py` checks each "
        "case on both libraries.",
        "",
        "**Exceptions.** Where PyTorch raises, chainrule raises the same type (`tests/test_exception_types.py` "
        "runs common mistakes on both); where chainrule's own type differed (ValueError for a shape "
        "mismatch), the error is now both (`chainrule.errors`).",
    ]
    for title, rows in rows_by_ns.items():
        lines += ["", f"## `{title}`", "", "| name | status | note |", "| --- | --- | --- |"]
        for name, status, note in rows:
            lines.append(f"| `{name}` | {status} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api-coverage.md is stale")
    parser.add_argument("--summary", action="store_true", help="print the per-namespace figures only")
    parser.add_argument("--print", action="store_true", help="print the table instead of writing it")
    args = parser.parse_args(argv)
    text = generate()
    if args.print:
        sys.stdout.write(text)
        return 0
    if args.summary:
        print("\n".join(line for line in text.splitlines() if line.startswith("| `torch") and "%" in line))
        return 0
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run python scripts/api_coverage.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
