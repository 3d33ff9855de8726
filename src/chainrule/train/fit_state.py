"""The schema of the training state that ``fit`` keeps in its checkpoint (``extra["fit"]``).

``fit(..., resume=path)`` restores the epoch and step, every random generator, the data loader's position,
the running means, the history and the callbacks from this JSON document. A damaged one (a value made
null or a string, a key deleted) is refused before anything is restored, with the file and the field:
``ckpt.safetensors: field 'fit.rng.bit_generator.uinteger' is missing``.
"""

from __future__ import annotations

from chainrule.io.schema import AnyValue, Bool, Fields, Float, Int, List, Mapping, Optional, Str, validate

__all__ = ["FIT_STATE", "check_fit_state"]

_U128 = Int(min=0, max=2**128 - 1)
# chainrule's generators are all PCG64
_BIT_GENERATOR = Fields({"bit_generator": Str(("PCG64",)), "state": Mapping(), "has_uint32": Int(0, 1),
                         "uinteger": Int(0, 2**32 - 1)})
_PCG64 = Fields({"state": _U128, "inc": _U128})
_RNG = Fields({"seed": Optional(Int()), "bit_generator": _BIT_GENERATOR})
_NUMBER = Float(finite=False)  # losses and "best" values may be inf or NaN

_ARRAY = Fields({"__array__": Str()})  # an array saved beside the JSON (see backup_and_restore)
_CALLBACK_STATES = {
    "CSVLogger": Fields({"size": Optional(Int(min=0)), "keys": Optional(List(Str()))}, required=()),
    "EarlyStopping": Fields({"wait": Int(min=0), "stopped_epoch": Int(min=0), "best": Optional(_NUMBER),
                             "best_epoch": Optional(Int(min=0)), "best_weights": Optional(Mapping(_ARRAY))}),
    "ReduceLROnPlateau": Fields({"best": _NUMBER, "wait": Int(min=0), "cooldown_counter": Int(min=0)}),
}

FIT_STATE = Fields({
    "epoch": Int(min=0), "step": Int(min=0), "global_step": Int(min=0), "stopped": Bool(),
    "seed": Optional(Int()), "rng_start": _RNG, "rng": _RNG,
    "loader": Optional(Fields({"batches_done": Int(min=0), "batch_size": Optional(Int(min=1)),
                               "samples": Optional(Int(min=0)), "generator": Optional(_BIT_GENERATOR),
                               "order": AnyValue(), "pass_start": AnyValue()},
                              required=("batches_done",))),
    "running": Optional(Fields({"n": Int(min=0), "loss": _NUMBER, "sums": Optional(List(_NUMBER)),
                                "counts": Optional(List(Int(min=0))), "metrics": Optional(List(Str()))})),
    "history": Fields({"history": Mapping(List(Optional(_NUMBER))), "epoch": List(Int(min=0))}),
    "callbacks": List(Fields({"class": Str(), "index": Int(min=0), "state": Mapping()})),
    "logs": Optional(Mapping()),
    "epochs": Optional(Int(min=1)),  # the planned total (--resume --epochs N extends it); older files lack it
}, required=("epoch", "step", "global_step", "stopped", "seed", "rng_start", "rng", "loader", "running", "history",
             "callbacks", "logs"))


def check_fit_state(state, path) -> dict:
    """Return ``state`` if it is a valid ``fit`` training state; else raise ``SchemaError`` (file and field)."""
    validate(state, FIT_STATE, path, "fit")
    for key in ("rng_start", "rng"):
        validate(state[key]["bit_generator"]["state"], _PCG64, path, f"fit.{key}.bit_generator.state")
    loader = state["loader"]
    if loader is not None and loader.get("generator") is not None:
        validate(loader["generator"]["state"], _PCG64, path, "fit.loader.generator.state")
    for i, cb in enumerate(state["callbacks"]):
        schema = _CALLBACK_STATES.get(cb["class"])
        if schema is not None:
            validate(cb["state"], schema, path, f"fit.callbacks[{i}].state")
    if state["step"] > state["global_step"]:
        validate(state["step"], Int(max=state["global_step"]), path, "fit.step")
    return state
