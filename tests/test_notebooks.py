"""The learning path in notebooks/: stored without outputs, and every notebook runs top to bottom without
an error, a warning or a traceback (executed in a Jupyter kernel through nbclient, as a student would)."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FASHION = Path("/usr/share/datasets/fashion-mnist")
nbformat = pytest.importorskip("nbformat")

sys.path.insert(0, str(ROOT / "scripts"))
from notebooks import stored_outputs  # noqa: E402 - scripts/notebooks.py


def test_the_learning_path_has_its_eleven_notebooks_in_order():
    names = [p.stem for p in NOTEBOOKS]
    assert [n[:3] for n in names] == [f"{i:02d}_" for i in range(1, 12)], names
    listed = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    positions = [listed.find(f"notebooks/{p.name}") for p in NOTEBOOKS]
    assert -1 not in positions and positions == sorted(positions), "docs/notebooks.md links each notebook, in order"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_stripped_and_follows_the_pattern(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert stored_outputs(nb) == [], f"{path.name}: run `python scripts/notebooks.py strip {path}` before committing"
    assert "widgets" not in nb.metadata
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "import chainrule as torch" in code[0], "the first code cell imports chainrule as torch"
    assert nb.cells[-1].cell_type == "markdown" and "## Try this" in nb.cells[-1].source
    assert nb.metadata.kernelspec.name == "python3"


def test_stored_outputs_finds_outputs_and_execution_counts():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("2")])
    assert stored_outputs(nb) == []
    nb.cells[1].execution_count = 3
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="x")]
    assert stored_outputs(nb) == ["cell 0", "cell 1"]


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir() and not os.environ.get("CHAINRULE_DATA"),
                    reason=f"Fashion-MNIST is not in {FASHION} (install dataset-fashion-mnist)")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_without_errors_or_warnings(path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel is a new process: it imports this checkout's chainrule, as pytest does
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()  # raises on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [t for t in stderr if "Warning" in t or "Traceback" in t], stderr
    images = sum("image/png" in o.get("data", {}) for o in outputs)
    if path.stem != "01_tensors":  # every later notebook draws
        assert images > 0, f"{path.name}: no figure was displayed"
