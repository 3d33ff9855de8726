"""Running means of the loss and the metrics over one pass of ``fit`` (training or validation)."""

from __future__ import annotations

from .metrics import accuracy_applies, correct_and_total


class RunningMeans:
    """Sample-weighted sums of the loss and the metrics over one pass; metrics resolved on the first batch."""

    def __init__(self, requested, resolved=None):
        self.requested = requested
        self.metrics = resolved  # [(name, fn)], fn None for accuracy
        self.reset()

    def reset(self) -> None:
        self.n, self.loss = 0, 0.0
        self.sums = self.counts = None

    def update(self, loss_value: float, output, y) -> None:
        n = len(y)
        self.n += n
        self.loss += loss_value * n
        if self.metrics is None:
            self.metrics = resolve_metrics(self.requested, output, y)
        if self.sums is None:
            self.sums, self.counts = [0.0] * len(self.metrics), [0] * len(self.metrics)
        for i, (_, fn) in enumerate(self.metrics):
            if fn is None:
                correct, total = correct_and_total(output, y)
                self.sums[i] += correct
                self.counts[i] += total
            else:
                self.sums[i] += float(fn(output.detach(), y)) * n
                self.counts[i] += n

    def state(self) -> dict:
        return {"n": self.n, "loss": self.loss, "sums": self.sums, "counts": self.counts,
                "metrics": None if self.metrics is None else [name for name, _ in self.metrics]}

    def load(self, state: dict) -> None:
        self.n, self.loss, self.sums, self.counts = state["n"], state["loss"], state["sums"], state["counts"]
        if state["metrics"] is not None:  # as resolved on the first batch before the checkpoint
            requested = self.requested if isinstance(self.requested, (list, tuple)) else ()
            functions = {getattr(m, "__name__", type(m).__name__): m for m in requested if callable(m)}
            self.metrics = [(name, functions.get(name)) for name in state["metrics"]]

    def means(self, prefix: str = "", into: dict | None = None) -> dict:
        logs = {} if into is None else into
        logs[prefix + "loss"] = self.loss / self.n if self.n else float("nan")
        for i, (name, _) in enumerate(self.metrics or ()):
            logs[prefix + name] = self.sums[i] / self.counts[i] if self.sums and self.counts[i] else float("nan")
        return logs


def resolve_metrics(requested, output, y) -> list:
    if isinstance(requested, str):
        requested = (requested,)
    resolved = []
    for metric in requested or ():
        if metric in ("accuracy", "acc"):
            if accuracy_applies(output, y):
                resolved.append(("accuracy", None))
        elif callable(metric):
            resolved.append((getattr(metric, "__name__", type(metric).__name__), metric))
        else:
            raise ValueError(f"fit: unknown metric {metric!r}; use 'accuracy' or a function f(y_pred, y_true) -> float")
    return resolved
