"""``chainrule runs [DIR]`` lists run folders with their key settings and test result, best first;
``chainrule runs --compare A B`` shows two runs' settings and results side by side, marking differences."""

from __future__ import annotations

import json
from pathlib import Path

from chainrule.cli.runs import RunError, read_config

# config keys that are bookkeeping, not settings worth comparing
_NOT_SETTINGS = ("name", "out", "classes", "normalize", "input_shape")


def _results(run: Path) -> dict:
    try:
        return json.loads((run / "results.json").read_text())
    except (OSError, ValueError):
        return {}


def _score(config: dict, results: dict):
    """``(sort key, text)``: accuracy for classification (higher first), R^2 for regression."""
    test = results.get("test") or {}
    if "accuracy" in test:
        low, high = test.get("ci95") or (None, None)
        ci = f" ({low:.3f}-{high:.3f})" if low is not None else ""
        return test["accuracy"], f"acc {test['accuracy']:.4f}{ci}"
    if test.get("r2") is not None:
        return test["r2"], f"R^2 {test['r2']:.4f}"
    if test.get("rmse") is not None:  # a `chainrule recommend` run: lower is better
        return -test["rmse"], f"RMSE {test['rmse']:.4f}"
    return float("-inf"), "-" if results else "no results.json"


def _settings(config: dict) -> str:
    if config.get("command") == "recommend":
        return (f"MF dim{config.get('dim', '?')} wd{config.get('weight_decay', 0):g} {config.get('optimizer', '?')} "
                f"lr{config.get('lr', 0):g} bs{config.get('batch_size', '?')}")
    hidden = ",".join(map(str, config.get("hidden", []))) or "none"
    return (f"{hidden} {config.get('activation', '?')} do{config.get('dropout', 0):g} "
            f"{config.get('optimizer', '?')} lr{config.get('lr', 0):g} bs{config.get('batch_size', '?')}")


def list_runs(folder) -> list[dict]:
    """One row per run folder under ``folder`` (those with a config.json), best test result first."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"{folder} is not a folder of runs (chainrule train writes them to runs/ by default)")
    rows = []
    for run in sorted(p for p in folder.iterdir() if p.is_dir() and (p / "config.json").is_file()):
        try:
            config = read_config(run)
        except RunError:
            continue
        results = _results(run)
        key, score = _score(config, results)
        epochs = results.get("epochs") or {}
        seconds = (results.get("time") or {}).get("total_seconds")
        rows.append({"run": run.name, "dataset": config.get("dataset", "?"), "settings": _settings(config),
                     "epochs": f"{epochs.get('run', '?')}/{config.get('epochs', '?')}" if epochs else "-",
                     "time": f"{seconds:.0f}s" if seconds is not None else "-", "result": score, "key": key})
    rows.sort(key=lambda r: (-r["key"], r["run"]))
    return rows


def print_table(rows: list[dict], columns) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in columns).rstrip())


def compare(a, b) -> list[tuple[str, str, str]]:
    """``(name, value in a, value in b)`` for every setting and result of two runs."""
    runs = [Path(a), Path(b)]
    configs = [read_config(r) for r in runs]
    results = [_results(r) for r in runs]
    rows = [("run", str(runs[0]), str(runs[1]))]
    keys = [k for k in dict.fromkeys([*configs[0], *configs[1]]) if k not in _NOT_SETTINGS]
    for key in keys:
        rows.append((key, *(_show(c.get(key, "-")) for c in configs)))
    flat = [_flatten(r) for r in results]
    for key in dict.fromkeys([*flat[0], *flat[1]]):
        rows.append((key, *(_show(f.get(key, "-")) for f in flat)))
    return rows


def _flatten(results: dict) -> dict:
    test, epochs, time = results.get("test") or {}, results.get("epochs") or {}, results.get("time") or {}
    out = {f"test {k}": v for k, v in test.items()}
    out.update({f"epochs {k}": v for k, v in epochs.items()})
    if "train_seconds" in time:
        out["train seconds"] = time["train_seconds"]
    if results.get("diagnosis"):
        out["diagnosis"] = results["diagnosis"].get("kind")
    return out


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ",".join(_show(v) for v in value) or "-"
    return str(value)


def run_runs(args) -> int:
    if args.compare:
        rows = compare(*args.compare)
        width = max(len(r[0]) for r in rows)
        col = max(len(r[1]) for r in rows)
        for name, left, right in rows:
            mark = " " if left == right or name == "run" else "*"
            print(f"{mark} {name:<{width}}  {left:<{col}}  {right}".rstrip())
        print("(* marks a difference)")
        return 0
    rows = list_runs(args.folder)
    if not rows:
        folder = Path(args.folder)
        if (folder / "config.json").is_file():  # a run folder itself, not a folder of runs
            print(f"no runs in {folder}: it is a run itself; `chainrule runs {folder.parent}` lists it with "
                  f"its neighbours, `chainrule evaluate {folder}` shows its result")
        else:
            print(f"no runs in {folder}")
        return 0
    print_table(rows, ("run", "dataset", "settings", "epochs", "time", "result"))
    return 0
