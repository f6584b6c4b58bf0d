"""Parameters that cannot work together stop a notebook early, with a message that says what to do."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
pytestmark = pytest.mark.slow  # each test runs a notebook


def test_notebook_03_without_training_on_another_dataset_says_to_train(data_dir_env, monkeypatch):
    """GAN_TRAIN=0 shows the CIFAR-10 generator; on MNIST it would fail deep inside torch, sections later."""
    for name, value in {"GAN_SMOKE": "1", "GAN_TRAIN": "0", "GAN_DATASET": "mnist"}.items():
        monkeypatch.setenv(name, value)  # the kernel inherits this process's environment
    notebook = nbformat.read(NOTEBOOKS / "03_dcgan_cifar10.ipynb", as_version=4)
    with pytest.raises(CellExecutionError) as error:
        NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    message = str(error.value)
    assert "ValueError" in message and "set GAN_TRAIN=1 to train on them" in message and "(1, 32, 32)" in message
    assert "load_images" in message  # it stopped at the data cell, before any training or sampling
