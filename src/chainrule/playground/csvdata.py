"""Your own data in the playground: a CSV of two feature columns and a label or target, checked strictly.

Rules (each broken rule is a one-line message naming the row): comma-separated, an optional header row,
exactly 3 columns (x1, x2, label), finite numbers, 10 to ``MAX_ROWS`` rows. The third column decides the
problem: only 0/1 (or -1/1) is binary classification, integers 0..7 with 3 or more values is multi-class,
anything else is regression. Each feature column is scaled so that its largest magnitude is 5, to fit the
playground's [-6, 6] plane. Nothing is written anywhere: the data lives in the session's memory.

>>> X, y, problem, classes = parse_csv("x1,x2,y\\n" + "\\n".join(f"{i},{-i},{i % 2}" for i in range(10)))
>>> X.shape, problem, classes
((10, 2), 'classification', 2)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["parse_csv", "MAX_ROWS", "CsvError"]

MAX_ROWS = 2000
MIN_ROWS = 10


class CsvError(ValueError):
    """The uploaded CSV breaks one of the rules; the message says which and where."""


def parse_csv(text: str):
    """Return ``(X float32 (N, 2), y, problem, classes)`` from CSV ``text``; raise ``CsvError`` otherwise."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    rows = [(i + 1, line) for i, line in enumerate(lines) if line]
    if not rows:
        raise CsvError("CSV: the file is empty")
    if not _numeric(rows[0][1].split(",")[0]):
        rows = rows[1:]  # a header row
    if len(rows) > MAX_ROWS:
        raise CsvError(f"CSV: at most {MAX_ROWS} rows, got {len(rows)}")
    if len(rows) < MIN_ROWS:
        raise CsvError(f"CSV: at least {MIN_ROWS} rows of data, got {len(rows)}")
    values = []
    for number, line in rows:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 3:
            raise CsvError(f"CSV line {number}: expected 3 columns (x1, x2, label), got {len(cells)}")
        try:
            row = [float(c) for c in cells]
        except ValueError:
            raise CsvError(f"CSV line {number}: expected numbers, got {line[:60]!r}") from None
        if not all(math.isfinite(v) for v in row):
            raise CsvError(f"CSV line {number}: NaN or infinite value in {line[:60]!r}")
        values.append(row)
    data = np.asarray(values)
    X, label = data[:, :2], data[:, 2]
    scale = np.abs(X).max(axis=0)
    X = X / np.where(scale > 0, scale, 1) * 5
    distinct = set(np.unique(label).tolist())
    if distinct <= {0.0, 1.0} or distinct <= {-1.0, 1.0}:
        if len(distinct) < 2:
            raise CsvError("CSV: the label column has a single value; a classifier needs two")
        return X.astype(np.float32), (label > 0).astype(np.int64), "classification", 2
    if all(v.is_integer() and 0 <= v <= 7 for v in distinct):
        return X.astype(np.float32), label.astype(np.int64), "multiclass", int(max(distinct)) + 1
    return X.astype(np.float32), label.astype(np.float32), "regression", 2


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
