"""The analyst notebooks execute top to bottom against the current API (small draw counts)."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_are_found_and_stored_without_outputs() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb", "02_compare_packages.ipynb", "03_one_target_deep_dive.ipynb",
        "04_monitoring.ipynb", "05_what_it_takes.ipynb",
    ]  # fmt: skip
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


# Appended to each notebook by the test (never saved): the draws of every result it made.
PROBE = (
    "import sim as _sim\n"
    "print(sorted({v.manifest['draws'] for v in list(globals().values())"
    " if isinstance(v, _sim.Result)} | {r.manifest['draws'] for v in list(globals().values())"
    " if isinstance(v, list) for r in v if isinstance(r, _sim.Result)}))"
)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch) -> None:
    """Every cell runs without error, at least one chart is shown, and every result the
    notebook made used the draws the test asked for (so the notebooks honour
    SIM_NOTEBOOK_DRAWS, which keeps them fast here and full-size for analysts)."""
    monkeypatch.setenv("SIM_NOTEBOOK_DRAWS", "2000")
    monkeypatch.setenv("SIM_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 1, "the notebook should show at least one chart"
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()
    assert printed == "[2000]", f"results made with other draw counts: {printed}"
    print(f"{path.name}: {seconds:.1f} s")  # shown with -s; reported in the closing note
