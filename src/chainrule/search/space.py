"""Search spaces over ``chainrule train`` options: parsing ``--lr 1e-4,1e-3 --hidden '128;256,128'``,
the grid, and seeded random draws from it.

A value list is split on ``,``; options whose single value already holds commas (``--hidden``,
``--augment``) are split on ``;``. Every value is checked with ``chainrule train``'s own parser, so a
wrong value is reported for its option before any training starts. Random search also takes ranges of
numbers: ``LOW:HIGH`` (uniform) or ``LOW:HIGH:log`` (log-uniform).
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import math

import numpy as np

LIST_VALUED = ("--hidden", "--augment")  # their values hold commas: alternatives are separated by ';'
# train options a search sets itself (or that make no sense per trial)
RESERVED = ("--name", "--out", "--resume", "--seed", "--quiet", "--threads", "--help", "-h")


class SearchError(ValueError):
    """A bad search specification, reported as one line naming the option."""


class Dimension:
    """One searched option: a list of values (strings as typed) or a numeric range for random search."""

    def __init__(self, option: str, values=None, low=None, high=None, log=False, kind=float):
        self.option, self.values, self.low, self.high, self.log, self.kind = option, values, low, high, log, kind

    @property
    def name(self) -> str:
        return self.option.lstrip("-").replace("-", "_")

    def draw(self, rng) -> str:
        if self.values is not None:
            return self.values[int(rng.integers(len(self.values)))]
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return str(int(round(value))) if self.kind is int else f"{value:.4g}"


def parse_space(tokens, train_parser) -> tuple[list[Dimension], list[str]]:
    """``(dimensions, fixed)`` from ``--option VALUES`` tokens: options with one value go to ``fixed``
    (plain ``chainrule train`` arguments), those with several to ``dimensions``.

    Raises:
        SearchError: an unknown or reserved option, an empty list, a value of the wrong type.
    """
    actions = train_parser._option_string_actions
    dims, fixed, seen = [], [], set()
    tokens = list(tokens)
    i = 0
    while i < len(tokens):
        option = tokens[i]
        if "=" in option and option.startswith("--"):
            option, value = option.split("=", 1)
            i += 1
        else:
            if not option.startswith("-"):
                raise SearchError(f"expected a train option like --lr, got {option!r}")
            if i + 1 >= len(tokens) or tokens[i + 1].startswith("--"):
                raise SearchError(f"{option}: expected a list of values (e.g. {option} 1,2), got nothing")
            value = tokens[i + 1]
            i += 2
        if option in RESERVED:
            raise SearchError(f"{option} is set by the search itself (use the search's --name/--out/--seed)")
        if option not in actions:
            close = difflib.get_close_matches(option, [o for o in actions if o.startswith("--")], n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SearchError(f"unknown train option {option}{hint}")
        if option in seen:
            raise SearchError(f"{option} is given twice")
        seen.add(option)
        dim = _dimension(option, value, actions[option])
        if dim.values is not None and len(dim.values) == 1:
            fixed += [option, dim.values[0]]
        else:
            dims.append(dim)
    return dims, fixed


def _dimension(option: str, text: str, action) -> Dimension:
    parse = action.type or str
    kind = int if parse is int or getattr(parse, "__name__", "").endswith("_int") else float
    parts = text.split(":")
    if len(parts) in (2, 3) and option not in LIST_VALUED and (len(parts) == 2 or parts[2] == "log"):
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise SearchError(f"{option}: expected a range LOW:HIGH[:log] of numbers, got {text!r}") from None
        for bound in parts[:2]:
            _check(option, bound, parse, action)
        if not low < high or (len(parts) == 3 and low <= 0):
            raise SearchError(f"{option}: expected LOW < HIGH (and LOW > 0 for :log), got {text!r}")
        return Dimension(option, low=low, high=high, log=len(parts) == 3, kind=kind)
    sep = ";" if option in LIST_VALUED else ","
    values = [v.strip() for v in text.split(sep)]
    if any(v == "" for v in values):
        raise SearchError(f"{option}: empty value in the list {text!r} (separate values with '{sep}')")
    for v in values:
        _check(option, v, parse, action)
    return Dimension(option, values=list(dict.fromkeys(values)), kind=kind)


def _check(option: str, text: str, parse, action) -> None:
    try:
        value = parse(text)
    except (argparse.ArgumentTypeError, ValueError, TypeError) as e:
        raise SearchError(f"{option}: {e}") from None
    if action.choices is not None and value not in action.choices:
        raise SearchError(f"{option}: {text!r} is not one of {', '.join(map(str, action.choices))}")


def grid(dims: list[Dimension]) -> list[dict]:
    """Every combination, in a fixed order (the first option varies slowest)."""
    ranged = [d.option for d in dims if d.values is None]
    if ranged:
        raise SearchError(f"{ranged[0]}: a LOW:HIGH range needs random search (--trials N), not a grid")
    return [dict(zip([d.option for d in dims], combo)) for combo in itertools.product(*(d.values for d in dims))]


def random_configs(dims: list[Dimension], trials: int, seed: int) -> list[dict]:
    """``trials`` seeded draws; from a grid without repeats (the whole grid when it is smaller)."""
    rng = np.random.default_rng(seed)
    if all(d.values is not None for d in dims):
        full = grid(dims)
        order = rng.permutation(len(full))[:trials]
        return [full[i] for i in order]
    return [{d.option: d.draw(rng) for d in dims} for _ in range(trials)]
