"""The outputs a notebook keeps, so that nbval can check what a lesson shows.

Notebooks are committed without outputs, except in the cells marked with a line
``# NBVAL_CHECK_OUTPUT``: small, deterministic printouts that are part of the lesson (a
parameter count, the shapes through a network, an error message). nbval runs the notebooks in
smoke mode and compares those cells' fresh outputs with the stored ones, so a change in
``gan_utils`` that alters what a lesson shows fails ``make test`` until the outputs are stored
again on purpose:

    make outputs    # = .venv/bin/python tests/notebook_outputs.py notebooks/*.ipynb

runs each notebook in smoke mode (as ``make test`` does) and writes back the outputs of the
marked cells only; every other cell loses its outputs and execution count. A marked cell needs
an execution count as well as its outputs (nbval compares only cells that have both), and its
``keep_output`` metadata tells nbstripout to leave it alone, so the lint's
``nbstripout --verify --keep-count`` passes.
"""

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

MARKER = "# NBVAL_CHECK_OUTPUT"
REPO_ROOT = Path(__file__).resolve().parent.parent
SANITIZE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"  # what may differ between machines


def is_marked(cell):
    """A code cell whose output nbval compares: it has a line that is exactly the marker."""
    return cell.cell_type == "code" and MARKER in (line.strip() for line in cell.source.splitlines())


def smoke_environment():
    """The environment ``make test`` runs the notebooks in: smoke mode, notebook 03 on a few images."""
    env = {"GAN_SMOKE": "1"}
    data = Path(os.environ.get("GAN_DATA_DIR") or REPO_ROOT / "data")
    samples = REPO_ROOT / data / "cifar10-samples"
    env["GAN_DATASET"] = str(samples) if samples.is_dir() else "cifar10"
    return env


def store_outputs(path):
    """Run the notebook at ``path`` in smoke mode and keep the outputs of its marked cells only."""
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    executed = nbformat.read(path, as_version=4)
    os.environ.update(smoke_environment())  # the kernel inherits this process's environment
    NotebookClient(executed, timeout=900, resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell, ran in zip(notebook.cells, executed.cells):
        if cell.cell_type != "code":
            continue
        if is_marked(cell):
            images = [o for o in ran.outputs if any(key.startswith("image/") for key in o.get("data", {}))]
            if images:
                raise ValueError(f"{path}: a cell marked {MARKER} shows an image; keep images out of marked cells.")
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
            cell.metadata["keep_output"] = True  # nbstripout leaves this cell's outputs alone
        else:
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("keep_output", None)
    nbformat.write(notebook, path)
    return sum(map(is_marked, notebook.cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Store the outputs of the cells marked " + MARKER)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        print(f"{path}: {store_outputs(path)} marked cells stored", flush=True)


if __name__ == "__main__":
    sys.exit(main())
