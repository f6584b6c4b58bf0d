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

This module is also a pytest plugin for that nbval run (``make test-notebooks`` passes ``-p tests.notebook_outputs``):
after each marked cell has passed nbval's comparison, it compares the same fresh output once more, with nbval's
own code, against the stored one with a digit changed. If nbval would not notice that change (the cell lost its
execution count, the sanitize file normalises the whole output), the cell fails. So the check that nbval bites
runs inside the one smoke run of each notebook, instead of in a second run of every notebook.
"""

import argparse
import copy
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

MARKER = "# NBVAL_CHECK_OUTPUT"
REPO_ROOT = Path(__file__).resolve().parent.parent
SANITIZE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"  # what may differ between machines


def is_marked(cell):
    """A code cell whose output nbval compares: it has a line that is exactly the marker."""
    return cell.cell_type == "code" and MARKER in (line.strip() for line in cell.source.splitlines())


def change_one_digit(text, patterns):
    """``text`` with one digit changed (or, without one, a character added), outside what the sanitize
    ``patterns`` (regex: replacement) normalise: a change there is meant to pass, as between two machines."""
    normalised = {i for regex in patterns for match in re.finditer(regex, text) for i in range(*match.span())}
    position = next((i for i, char in enumerate(text) if char.isdigit() and i not in normalised), None)
    if position is None:
        return text + "!"
    return text[:position] + str((int(text[position]) + 1) % 10) + text[position + 1 :]


def with_one_digit_changed(outputs, patterns):
    """A copy of a cell's ``outputs`` with one digit changed in its first text output."""
    outputs = copy.deepcopy(outputs)
    output = next(o for o in outputs if o.output_type == "stream" or "text/plain" in o.get("data", {}))
    if output.output_type == "stream":
        output.text = change_one_digit(output.text, patterns)
    else:
        output.data["text/plain"] = change_one_digit(output.data["text/plain"], patterns)
    return outputs


def missed_change(item):
    """Why nbval would pass the marked cell ``item`` (an nbval cell that has just passed) if a digit of its stored
    output were changed, or None when it would fail it."""
    from nbval.plugin import coalesce_streams

    if not item.options["check"] or item.cell.execution_count is None:
        return "nbval does not compare its output (is it stored with its execution count? run `make outputs`)"
    patterns = item.parent.sanitize_patterns  # the --nbval-sanitize-with file's, as nbval applies them
    changed = coalesce_streams(with_one_digit_changed(item.cell.outputs, patterns))
    if item.compare_outputs(copy.deepcopy(item.test_outputs), changed):
        return "nbval passes it with a digit of its stored output changed: the sanitize file normalises it all"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield  # nbval runs the cell and compares its output (a failure is raised here, as usual)
    if type(item).__name__ == "IPyNbCell" and is_marked(item.cell):
        problem = missed_change(item)
        if problem:
            raise AssertionError(f"{item.nodeid} is marked {MARKER}, but {problem}")
    return result


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
