"""Checking a JSON document read from a file against a schema: types, ranges, required keys.

A damaged ``config.json`` or checkpoint state (``{}``, ``null``, a number made a string, a key deleted) must
end in one line that names the file and the field, not in a ``KeyError`` deep inside the code that uses it.
A schema is built from a few small checkers::

    CONFIG = Fields({"epochs": Int(min=1), "lr": Float(min=0, min_open=True), "name": Str(),
                     "hidden": List(Int(min=1)), "noise": Optional(Float(min=0))}, required=("epochs", "lr"))
    validate(json.loads(text), CONFIG, "runs/x/config.json")

Keys a schema does not name are allowed (newer versions add fields); ``validate`` raises ``SchemaError``.
"""

from __future__ import annotations

import math
import os
from typing import Any

__all__ = ["SchemaError", "validate", "Int", "Float", "Bool", "Str", "List", "Fields", "Mapping", "Optional",
           "AnyValue", "json_type"]


class SchemaError(ValueError):
    """A document that does not fit its schema; the message names the file and the field.

    Attributes:
        file (str): the file. field (str): the field's path, e.g. ``optimizer.betas[1]`` (empty: the whole document).
    """

    def __init__(self, file, field: str, problem: str):
        self.file, self.field = os.fspath(file), field
        where = f"field {field!r} " if field else "the document "
        super().__init__(f"{self.file}: {where}{problem}")


def json_type(x: Any) -> str:
    """The JSON name of a value's type (``object``, ``array``, ``string``, ``boolean``, ``null``, ``number``)."""
    names = {dict: "object", list: "array", tuple: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(x), "number")


class _Problem(Exception):
    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem


def _join(path: str, key) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


class AnyValue:
    """Anything."""

    def check(self, value, path):
        pass


class Optional:
    """``null`` or what ``inner`` accepts."""

    def __init__(self, inner):
        self.inner = inner

    def check(self, value, path):
        if value is not None:
            self.inner.check(value, path)


class Bool:
    def check(self, value, path):
        if not isinstance(value, bool):
            raise _Problem(path, f"is a JSON {json_type(value)} ({value!r}), expected true or false")


class Int:
    """An integer (not a boolean) in ``[min, max]``."""

    def __init__(self, min: int | None = None, max: int | None = None):
        self.min, self.max = min, max

    def check(self, value, path):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Problem(path, f"is a JSON {json_type(value)} ({value!r}), expected an integer")
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise _Problem(path, f"is {value}, expected an integer in [{self.min}, {self.max}]")


class Float:
    """A number in ``[min, max]`` (``min_open``: ``> min``); finite unless ``finite=False``."""

    def __init__(self, min: float | None = None, max: float | None = None, *, min_open: bool = False,
                 max_open: bool = False, finite: bool = True):
        self.min, self.max, self.min_open, self.max_open, self.finite = min, max, min_open, max_open, finite

    def check(self, value, path):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Problem(path, f"is a JSON {json_type(value)} ({value!r}), expected a number")
        if self.finite and not math.isfinite(value):
            raise _Problem(path, f"is {value}, expected a finite number")
        low = self.min is not None and (value <= self.min if self.min_open else value < self.min)
        high = self.max is not None and (value >= self.max if self.max_open else value > self.max)
        if low or high:
            left, right = "(" if self.min_open else "[", ")" if self.max_open else "]"
            raise _Problem(path, f"is {value}, expected a number in {left}{self.min}, {self.max}{right}")


class Str:
    """A string, one of ``choices`` when given."""

    def __init__(self, choices=None):
        self.choices = tuple(choices) if choices is not None else None

    def check(self, value, path):
        if not isinstance(value, str):
            raise _Problem(path, f"is a JSON {json_type(value)} ({value!r}), expected a string")
        if self.choices is not None and value not in self.choices:
            raise _Problem(path, f"is {value!r}, expected one of {', '.join(self.choices)}")


class List:
    """An array of ``item``, ``min_len`` to ``max_len`` long."""

    def __init__(self, item=None, min_len: int = 0, max_len: int | None = None):
        self.item, self.min_len, self.max_len = item or AnyValue(), min_len, max_len

    def check(self, value, path):
        if not isinstance(value, list):
            raise _Problem(path, f"is a JSON {json_type(value)}, expected an array")
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            raise _Problem(path, f"has {len(value)} items, expected {self.min_len} to {self.max_len}")
        for i, v in enumerate(value):
            self.item.check(v, _join(path, i))


class Mapping:
    """An object of any string keys, each value what ``value`` accepts."""

    def __init__(self, value=None):
        self.value = value or AnyValue()

    def check(self, value, path):
        if not isinstance(value, dict):
            raise _Problem(path, f"is a JSON {json_type(value)}, expected an object")
        for k, v in value.items():
            self.value.check(v, _join(path, k))


class Fields:
    """An object with the named fields (``required`` ones must be there; others may be missing or extra)."""

    def __init__(self, fields: dict, required=None):
        self.fields = fields
        self.required = tuple(fields) if required is None else tuple(required)

    def check(self, value, path):
        if not isinstance(value, dict):
            raise _Problem(path, f"is a JSON {json_type(value)}, expected an object")
        for name in self.required:
            if name not in value:
                raise _Problem(_join(path, name), "is missing")
        for name, checker in self.fields.items():
            if name in value:
                checker.check(value[name], _join(path, name))


def validate(document: Any, schema, file, field: str = "") -> Any:
    """Check ``document`` against ``schema``; return it, or raise ``SchemaError`` naming ``file`` and the field.

    >>> validate({"epochs": "ten"}, Fields({"epochs": Int(min=1)}), "config.json")
    Traceback (most recent call last):
    SchemaError: config.json: field 'epochs' is a JSON string ('ten'), expected an integer
    """
    try:
        schema.check(document, field)
    except _Problem as p:
        raise SchemaError(file, p.field, p.problem) from None
    return document
