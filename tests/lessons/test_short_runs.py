"""Every lesson runs to its end on a short budget and without training: a slow laptop, a run stopped early or
GAN_TRAIN=0 (docs/teaching.md's advice for slow laptops) must never crash an exercise or a self-check.

Each case runs a whole notebook in a fresh kernel (nbclient, as JupyterLab runs it), so these tests take a
few minutes: `make test-notebooks` runs them with the notebooks, not with the package's fast tests.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("0*.ipynb"))


def run_notebook(name, env, monkeypatch):
    """Run notebook ``name`` top to bottom with ``env`` added to the kernel's environment; return its text output."""
    for key in ("GAN_SMOKE", "GAN_TRAIN", "GAN_MINUTES"):
        monkeypatch.delenv(key, raising=False)
    samples = Path(os.environ.get("GAN_DATA_DIR", "data")) / "cifar10-samples"
    if samples.is_dir():  # notebook 03 on a few real CIFAR-10 images, as in make test
        monkeypatch.setenv("GAN_DATASET", str(samples))
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
def test_lesson_with_half_a_minute_of_training(name, monkeypatch):
    """GAN_MINUTES=0.5: the run stops long before the steps the text describes; the forecast says what to expect."""
    printed = run_notebook(name, {"GAN_MINUTES": "0.5"}, monkeypatch)
    assert any(text.startswith("Forecast: about") for text in printed), "the training cell made no forecast"
    assert any("Training on cpu in" in text for text in printed), "the training cell did not say its precision"
    assert "all self-checks passed" in printed[-1]


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_without_training(name, monkeypatch):
    """GAN_TRAIN=0: the lesson uses its pretrained generator; the exercises (a few steps each, in smoke mode)
    still run and say what they train."""
    printed = run_notebook(name, {"GAN_TRAIN": "0", "GAN_SMOKE": "1"}, monkeypatch)
    assert any("GAN_TRAIN=0" in text for text in printed)
    assert "all self-checks passed" in printed[-1]
