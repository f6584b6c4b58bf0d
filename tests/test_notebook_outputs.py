"""The notebooks keep the outputs of their marked cells only, and nbval really compares them."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns
from notebook_outputs import REPO_ROOT, SANITIZE, is_marked, smoke_environment

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


def change_one_digit(text):
    """``text`` with one digit changed (or, without one, a character added), outside what the sanitize file
    normalises: a change there is meant to pass, as between two machines."""
    patterns = get_sanitize_patterns(SANITIZE.read_text())
    normalised = {i for regex, _ in patterns for match in re.finditer(regex, text) for i in range(*match.span())}
    position = next((i for i, char in enumerate(text) if char.isdigit() and i not in normalised), None)
    if position is None:
        return text + "!"
    return text[:position] + str((int(text[position]) + 1) % 10) + text[position + 1 :]


def test_nbval_fails_every_marked_cell_whose_stored_output_changed(tmp_path):
    """Change one digit in every stored output of every notebook: nbval must fail each of those cells,
    and only those."""
    expected = set()
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        for index, cell in enumerate(code_cells):  # nbval numbers the code cells only
            if is_marked(cell):
                output = next(o for o in cell.outputs if o.output_type == "stream" or "text/plain" in o.get("data", {}))
                if output.output_type == "stream":
                    output.text = change_one_digit(output.text)
                else:
                    output.data["text/plain"] = change_one_digit(output.data["text/plain"])
                expected.add(f"{path.name}::Cell {index}")
        nbformat.write(notebook, tmp_path / path.name)
    report = tmp_path / "report.xml"
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env"]
    command += [f"--nbval-sanitize-with={SANITIZE}", "-p", "no:cacheprovider", f"--junitxml={report}"]
    command += ["--rootdir", str(tmp_path), str(tmp_path)]
    env = {**os.environ, **smoke_environment()}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stdout[-3000:]
    failed = {
        f"{case.get('classname')}::{case.get('name')}"
        for case in ET.parse(report).iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    }
    assert failed == expected, result.stdout[-3000:]
