"""The notebooks keep the outputs of their marked cells only, and nbval really compares them."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
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
    """``text`` with its first digit changed (or, without digits, one character added)."""
    match = re.search(r"\d", text)
    if not match:
        return text + "!"
    digit = str((int(match.group()) + 1) % 10)
    return text[: match.start()] + digit + text[match.end() :]


def test_nbval_fails_every_marked_cell_whose_stored_output_changed(tmp_path):
    """Change one digit in every stored output of every notebook: nbval must fail each of those cells,
    and only those."""
    expected = set()
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
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
        f"{Path(case.get('classname', '').replace('.', '/')).name}.ipynb::{case.get('name')}"
        for case in ET.parse(report).iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    }
    assert failed == expected, result.stdout[-3000:]
