"""bench/lesson_timings.py: every cell of a notebook timed, summed by section, written into the teaching doc.

Here on a tiny notebook whose cells sleep for known times (the real runs take 15-20 minutes and are recorded
in docs/teaching.md)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def load_script():
    sys.path.insert(0, str(REPO / "bench"))  # the script imports bench/common.py as `common`
    try:
        spec = importlib.util.spec_from_file_location("lesson_timings", REPO / "bench" / "lesson_timings.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "bench"))
    return module


def tiny_notebook(path):
    cells = [
        nbformat.v4.new_markdown_cell("# A tiny lesson"),
        nbformat.v4.new_code_cell("import os, time\nSMOKE = os.environ.get('GAN_SMOKE') == '1'"),
        nbformat.v4.new_markdown_cell("Some text.\n\n## 1. Waiting\n\nA paragraph."),
        nbformat.v4.new_code_cell("# a comment first\ntime.sleep(7)"),
        nbformat.v4.new_markdown_cell("### What to look for\n\n(still section 1)"),
        nbformat.v4.new_code_cell("assert not SMOKE, 'the timings run the default mode, not smoke mode'"),
        nbformat.v4.new_markdown_cell("## 2. Self-checks"),
        nbformat.v4.new_code_cell("print('all self-checks passed')"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_sections_group_code_cells_under_the_level_two_heading_above(tmp_path):
    path = tmp_path / "09_tiny.ipynb"
    tiny_notebook(path)
    sections = load_script().sections(nbformat.read(path, as_version=4))
    assert sections == [("Title and parameters", [1]), ("1. Waiting", [3, 5]), ("2. Self-checks", [7])]


def test_a_run_times_each_cell_and_writes_its_block(tmp_path):
    path = tmp_path / "09_tiny.ipynb"
    tiny_notebook(path)
    docs = tmp_path / "teaching.md"
    docs.write_text("# Teaching\n\n<!-- begin lesson_timings other -->\nkept\n<!-- end lesson_timings other -->\n")
    command = [sys.executable, "bench/lesson_timings.py", str(path), "--docs", str(docs)]
    result = subprocess.run(
        [*command, "--executed", str(tmp_path / "run")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GAN_SMOKE": "1", "OMP_NUM_THREADS": "1"},  # smoke mode is taken away
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    seconds = float(re.search(r"cell  3: +([\d.]+) s  time.sleep\(7\)", result.stdout).group(1))
    assert 7 <= seconds < 30
    written = docs.read_text()
    block = written[written.index(f"<!-- begin lesson_timings {path} -->") :]
    assert "kept" in written  # another notebook's block stays
    assert re.search(r"\| 1 +\| 1\. Waiting +\| 2 +\| 0\.1 +\| 7 s: `time\.sleep\(7\)`", block), block
    assert re.search(r"\| 2 +\| 2\. Self-checks +\| 1 +\| < 0\.1", block), block
    assert "OMP_NUM_THREADS=1; load average (1, 5, 15 min) before the run" in block
    assert "Machine: nproc" in block and "GAN_SMOKE" not in block  # the kernel ran without it
    executed = nbformat.read(tmp_path / "run" / tmp_path.name / path.name, as_version=4)  # with its outputs
    assert executed.cells[-1].outputs[0]["text"] == "all self-checks passed\n"
