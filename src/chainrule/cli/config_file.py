"""``chainrule train --config FILE.json``: settings from a JSON file, command-line options overriding them.

The file is a JSON object whose keys are the long options of ``chainrule train`` (``"lr": 0.01``,
``"hidden": [16, 16]``, ``"early_stopping": 0``; dashes or underscores). A run's own ``config.json``
works as input: its derived entries (the data shapes, the class names, the version, the run's name)
are skipped, so the new run gets a fresh name. The file's settings are turned into options placed
before those typed on the command line, so argparse checks them as if typed, and a typed option wins.
"""

from __future__ import annotations

import json
from pathlib import Path

# entries of a run's config.json that are results of the run, not settings to reuse
DERIVED = ("chainrule_version", "task", "in_features", "out_features", "input_shape", "classes", "normalize",
           "train_samples", "val_samples", "name",
           "padding")  # the CNN layout this version builds for --model cnn (cli/models.py), not a flag


def _as_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "none"
    return str(value)


def config_argv(path, parser) -> list[str]:
    """The options that ``path``'s settings stand for, checked by ``parser``'s types later.

    Raises:
        SystemExit(2): via ``parser.error`` for an unreadable file or an unknown setting.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        parser.error(f"--config {path}: cannot read a JSON object ({e})")
    if not isinstance(data, dict):
        parser.error(f"--config {path}: expected a JSON object of settings, got {type(data).__name__}")
    options = {a.dest: a.option_strings[-1] for a in parser._actions if a.option_strings}
    argv = []
    for key, value in data.items():
        dest = key.replace("-", "_")
        if key in DERIVED or value is None:
            continue
        if dest in ("config", "resume", "help") or dest not in options:
            known = ", ".join(sorted(d for d in options if d not in ("config", "resume", "help")))
            parser.error(f"--config {path}: unknown setting {key!r}; known: {known}")
        if value is False or (value == [] and dest not in ("hidden", "augment")):  # []: 'none'
            continue
        if dest == "momentum" and value == 0:  # config.json's resolved "no momentum" (adam has none to set)
            continue
        argv += [options[dest]] if value is True else [options[dest], _as_text(value)]
    return argv


def expand(argv: list[str], parser) -> list[str]:
    """``argv`` with ``--config FILE`` (or ``--config=FILE``) replaced by the file's options, typed ones after."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            before, path, after = argv[:i], argv[i + 1], argv[i + 2:]
        elif arg.startswith("--config="):
            before, path, after = argv[:i], arg.split("=", 1)[1], argv[i + 1:]
        else:
            continue
        command = before[:1]  # "train"
        return command + config_argv(path, parser) + before[1:] + after
    return argv
