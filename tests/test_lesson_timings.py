"""bench/lesson_timings.py: every cell of a notebook timed, summed by section, written into the teaching doc.

Here on a tiny notebook (the real runs take 15-20 minutes and are recorded in docs/teaching.md)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bench import lesson_timings

REPO = Path(__file__).resolve().parents[1]


def tiny_notebook(path):
    cells = [
        nbformat.v4.new_markdown_cell("# A tiny lesson"),
        nbformat.v4.new_code_cell("import os, time\nSMOKE = os.environ.get('GAN_SMOKE') == '1'"),
        nbformat.v4.new_markdown_cell("Some text.\n\n## 1. Waiting\n\nA paragraph."),
        nbformat.v4.new_code_cell("# a comment first\ntime.sleep(0.1)"),
        nbformat.v4.new_markdown_cell("### What to look for\n\n(still section 1)"),
        nbformat.v4.new_code_cell("assert not SMOKE, 'the timings run the default mode, not smoke mode'"),
        nbformat.v4.new_markdown_cell("## 2. Self-checks"),
        nbformat.v4.new_code_cell("print('all self-checks passed')"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_sections_group_code_cells_under_the_level_two_heading_above(tmp_path):
    path = tmp_path / "09_tiny.ipynb"
    tiny_notebook(path)
    sections = lesson_timings.sections(nbformat.read(path, as_version=4))
    assert sections == [("Title and parameters", [1]), ("1. Waiting", [3, 5]), ("2. Self-checks", [7])]


def test_the_table_sums_each_section_and_names_the_cell_that_takes_the_time(tmp_path):
    path = tmp_path / "09_tiny.ipynb"
    tiny_notebook(path)
    notebook = nbformat.read(path, as_version=4)
    seconds = {1: 1.0, 3: 420.0, 5: 6.0, 7: 0.5}  # section 1: 7 minutes, most of them in cell 3
    text = lesson_timings.report(path, 3.0, seconds, notebook, {"OMP_NUM_THREADS": "1"}, "", (1, 2, 3), (4, 5, 6))
    assert re.search(r"\| 1 +\| 1\. Waiting +\| 2 +\| 7\.1 +\| 420 s: `time\.sleep\(0\.1\)`", text), text
    assert re.search(r"\| 2 +\| 2\. Self-checks +\| 1 +\| < 0\.1 +\| +\|", text), text  # too short to name a cell
    assert re.search(r"\| +\| \*\*all\*\* +\| 4 +\| \*\*7\.2\*\*", text), text  # the kernel's start counts too
    assert "OMP_NUM_THREADS=1; load average (1, 5, 15 min) before the run 1.00, 2.00, 3.00, after it 4.00" in text


@pytest.mark.slow  # starts a kernel (seconds)
def test_a_run_times_each_cell_and_writes_its_block(tmp_path):
    path = tmp_path / "09_tiny.ipynb"
    tiny_notebook(path)
    docs = tmp_path / "teaching.md"
    docs.write_text("# Teaching\n\n<!-- begin lesson_timings other -->\nkept\n<!-- end lesson_timings other -->\n")
    command = [sys.executable, "-m", "bench.lesson_timings", str(path), "--docs", str(docs)]
    result = subprocess.run(
        [*command, "--executed", str(tmp_path / "run")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GAN_SMOKE": "1", "OMP_NUM_THREADS": "1", "GAN_BFLOAT16": "0"},  # smoke mode is taken away
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    timed = re.findall(r"cell +(\d+): +[\d.]+ s", result.stdout)
    assert timed == ["1", "3", "5", "7"]  # every code cell, in order, each with its seconds
    written = docs.read_text()
    block = written[written.index(f"<!-- begin lesson_timings {path} float32 -->") :]  # the slow column's block
    assert "kept" in written  # another notebook's block stays
    assert re.search(r"\| 1 +\| 1\. Waiting +\| 2 +\|", block) and re.search(
        r"\| 2 +\| 2\. Self-checks +\| 1 +\|", block
    )
    assert "OMP_NUM_THREADS=1; load average (1, 5, 15 min) before the run" in block
    assert "-m bench.lesson_timings" in block and "Machine: nproc" in block
    assert "GAN_SMOKE" not in block  # the kernel ran without it
    executed = nbformat.read(tmp_path / "run" / tmp_path.name / path.name, as_version=4)  # with its outputs
    assert executed.cells[-1].outputs[0]["text"] == "all self-checks passed\n"
