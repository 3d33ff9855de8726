"""Build the learning-path notebooks from percent-format scripts, strip outputs, or check they are stripped.

    python scripts/notebooks.py build draft.py notebooks/12_new.ipynb   # a "# %%" script -> a stripped notebook
    python scripts/notebooks.py strip notebooks/*.ipynb                 # remove outputs after running in Jupyter
    python scripts/notebooks.py check notebooks/*.ipynb                 # exit 1 if any notebook has outputs

The notebooks in ``notebooks/`` are the source of truth: edit them in Jupyter, then strip them before a
commit (``tests/test_notebooks.py`` fails on stored outputs). ``build`` reads the percent format that
editors and jupytext understand: ``# %% [markdown]`` starts a Markdown cell (its lines start with
``# ``), ``# %%`` a code cell. Cell ids are numbered, so rebuilding gives the same file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def parse_percent(text: str) -> list[tuple[str, str]]:
    """``[(kind, source), ...]`` with kind ``"markdown"`` or ``"code"``, from a percent-format script."""
    cells, kind, lines = [], None, []

    def flush():
        if kind is not None:
            source = "\n".join(lines).strip("\n")
            if kind == "markdown":
                source = "\n".join(re.sub(r"^# ?", "", line) for line in source.split("\n"))
            if source.strip():
                cells.append((kind, source))

    for line in text.split("\n"):
        marker = re.match(r"^# %%( \[markdown\])?\s*$", line)
        if marker:
            flush()
            kind, lines = ("markdown" if marker.group(1) else "code"), []
        else:
            lines.append(line)
    flush()
    return cells


def build(source: Path, target: Path) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for i, (kind, text) in enumerate(parse_percent(source.read_text(encoding="utf-8"))):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(text, id=f"cell-{i:02d}"))
    nbformat.validate(nb)
    target.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def stored_outputs(nb) -> list[str]:
    """What a stripped notebook must not hold: outputs and execution counts, by cell number."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            found.append(f"cell {i}")
    return found


def strip(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    if not stored_outputs(nb) and "widgets" not in nb.metadata:
        return False
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="percent-format script -> notebook without outputs")
    b.add_argument("source", type=Path)
    b.add_argument("target", type=Path)
    for name in ("strip", "check"):
        sub.add_parser(name).add_argument("notebooks", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.source, args.target)
        return 0
    bad = 0
    for path in args.notebooks:
        if args.command == "strip":
            print(f"{path}: {'stripped' if strip(path) else 'already clean'}")
        elif stored_outputs(nbformat.read(path, as_version=4)):
            print(f"{path}: has outputs (python scripts/notebooks.py strip {path})")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
