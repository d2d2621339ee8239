"""The drill and what-if notebooks run top to bottom (their own asserts are the checks) and are the ones
``notebooks/make_notebooks.py`` writes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = [
    "01_breakdown_drill.ipynb",
    "02_accident_drill.ipynb",
    "03_blizzard_drill.ipynb",
    "04_capacity_whatif.ipynb",
    "05_live_breakdown_drill.ipynb",
]
CELL_TIMEOUT_S = 300


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kernel_name() -> str:
    """The ``python3`` kernel if its spec runs this interpreter's Python; else install one for it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        spec = manager.get_kernel_spec("python3")
        if spec.argv[0] in ("python", "python3", sys.executable):  # jupyter_client maps "python" to sys.executable
            return "python3"
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(user=False, prefix=sys.prefix, kernel_name="fleetplan-venv", display_name="fleetplan venv")
    return "fleetplan-venv"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_what_the_generator_writes(name):
    generator = _generator()
    written = nbformat.read(NOTEBOOKS / name, as_version=4)
    expected = generator.NOTEBOOKS[name]()
    assert [cell.source for cell in written.cells] == [cell.source for cell in expected.cells], (
        f"{name} is stale: run python notebooks/make_notebooks.py"
    )
    assert all(not cell.get("outputs") for cell in written.cells), f"{name} is committed with outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEETPLAN_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=CELL_TIMEOUT_S, kernel_name=_kernel_name(), resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and the traceback, on a failed assert
    images = [
        output
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{name} shows no plot or map"
    assert any(path.suffix in (".md", ".png", ".csv") for path in tmp_path.iterdir()), "nothing written"
