"""Every lesson runs to its end on a short budget: a slow laptop or a run stopped early must never crash an exercise
or a self-check. (GAN_TRAIN=0, docs/teaching.md's other advice for slow laptops, is run by the student edition's
test, tests/lessons/test_student_edition_runs.py; smoke mode by the nbval run of `make test-notebooks`.)

Each case runs a whole notebook in a fresh kernel (nbclient, as JupyterLab runs it), so these tests take a
few minutes: `make test-notebooks` runs them with the notebooks, not with the package's fast tests.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("0*.ipynb"))
pytestmark = pytest.mark.slow  # each test runs a notebook


def run_notebook(name, env, monkeypatch, dataset):
    """Run notebook ``name`` top to bottom with ``env`` added to the kernel's environment; return its text output."""
    for key in ("GAN_SMOKE", "GAN_TRAIN", "GAN_MINUTES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GAN_DATASET", dataset)  # notebook 03 on a few real CIFAR-10 images, as in make test
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # the kernel inherits this process's environment
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return [
        "".join(output.get("text", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_with_half_a_minute_of_training(name, smoke_dataset, monkeypatch):
    """GAN_MINUTES=0.5: the run stops long before the steps the text describes; the forecast says what to expect."""
    printed = run_notebook(name, {"GAN_MINUTES": "0.5"}, monkeypatch, smoke_dataset)
    assert any(text.startswith("Forecast: about") for text in printed), "the training cell made no forecast"
    assert any("Training on cpu in" in text for text in printed), "the training cell did not say its precision"
    assert "all self-checks passed" in printed[-1]
