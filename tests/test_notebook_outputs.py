"""The notebooks keep the outputs of their marked cells only, and nbval really compares them: the nbval run of
`make test-notebooks` checks, cell by cell, that it would fail a marked cell whose stored output changed
(tests/notebook_outputs.py, a plugin of that run); the test here checks that plugin on tiny notebooks."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest
from notebook_outputs import REPO_ROOT, SANITIZE, is_marked

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_marked_cells_keep_outputs_and_no_images(path):
    notebook = nbformat.read(path, as_version=4)
    marked = [cell for cell in notebook.cells if is_marked(cell)]
    assert len(marked) >= 3, f"{path.name}: only {len(marked)} cells marked # NBVAL_CHECK_OUTPUT"
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if is_marked(cell):
            assert cell.outputs and cell.execution_count, f"{path.name}: a marked cell was stored without outputs"
            assert cell.metadata.get("keep_output") is True
            assert not any(key.startswith("image/") for out in cell.outputs for key in out.get("data", {}))
        else:
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs outside marked cells"


def tiny_notebook(source, stored, execution_count=1):
    """A notebook of one marked cell that runs ``source`` and has ``stored`` as its stored output."""
    cell = nbformat.v4.new_code_cell(f"# NBVAL_CHECK_OUTPUT\n{source}", execution_count=execution_count)
    if stored is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    return nbformat.v4.new_notebook(cells=[cell])


def test_the_nbval_run_fails_a_marked_cell_whose_output_it_would_not_compare(tmp_path):
    """nbval with this project's plugin (notebook_outputs.py, as `make test-notebooks` runs it) on tiny notebooks:
    a stored output that matches passes, a changed one fails (nbval itself), and a marked cell that nbval would
    pass with any stored output fails (the plugin): stored without its execution count, or normalised away."""
    sanitize = tmp_path / "sanitize.cfg"
    sanitize.write_text(SANITIZE.read_text() + "\n[all of it]\nregex: whatever[\\s\\S]*\nreplace: X\n")
    cases = {  # notebook: (the cell's code, its stored output, its execution count, the failure expected)
        "good": ('print("G: 1,234 parameters on cpu")', "G: 1,234 parameters on cuda:0\n", 1, None),
        "changed": ('print("G: 1,234 parameters")', "G: 1,235 parameters\n", 1, "Cell outputs differ"),
        "unstored": ('print("G: 1,234 parameters")', None, None, "nbval does not compare its output"),
        "swallowed": ('print("whatever 42")', "whatever 42\n", 1, "the sanitize file normalises it all"),
    }
    for name, (source, stored, count, _) in cases.items():
        nbformat.write(tiny_notebook(source, stored, count), tmp_path / f"{name}.ipynb")
    report = tmp_path / "report.xml"
    command = [sys.executable, "-m", "pytest", "-p", "tests.notebook_outputs", "--nbval-lax", "--nbval-current-env"]
    command += [f"--nbval-sanitize-with={sanitize}", "-p", "no:cacheprovider", f"--junitxml={report}"]
    command += ["--rootdir", str(tmp_path), *(str(tmp_path / f"{name}.ipynb") for name in cases)]
    # from the repository's root, as `make test-notebooks` runs it: `python -m` finds tests.notebook_outputs there
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    failures = {}
    for case in ET.parse(report).iter("testcase"):
        failed = case.find("failure")
        failures[case.get("classname").removesuffix(".ipynb")] = (
            None if failed is None else failed.get("message", "") + (failed.text or "")
        )
    assert set(failures) == set(cases), result.stdout[-3000:]
    for name, (*_, expected) in cases.items():
        if expected is None:
            assert failures[name] is None, f"{name}: {failures[name]}"
        else:
            assert failures[name] is not None and expected in failures[name], f"{name}: {failures[name]}"
