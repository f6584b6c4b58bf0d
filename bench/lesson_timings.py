"""How long each part of a lesson takes: every cell of a notebook's default run, timed, and summed by section.

    OMP_NUM_THREADS=1 GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.lesson_timings [01 02 03]
    ... -m bench.lesson_timings --solutions [01 02 03]      # the worked solutions (notebooks/solutions/)

Each notebook runs as a class runs it with "Run All": in its default mode (GAN_SMOKE unset, so the training
cells use their whole GAN_MINUTES budget), in a fresh kernel started by nbclient (the kernel JupyterLab
starts), from the notebook's own folder. The time of each code cell is the wall-clock time from sending it
to the kernel to its reply; the kernel's start is timed on its own. Cells are grouped under the section
heading (a Markdown line starting with '## ') that precedes them; the title and the parameters come first.

Notebook 03 reads CIFAR-10 through torchvision unless GAN_DATASET says otherwise; where the data folder has
no torchvision copy but has the JPEG copy (cifar10-jpeg/, as in ../shared/data), this script sets
GAN_DATASET to the copy's training folder and says so in the results. Other GAN_* variables pass through
(e.g. GAN_MINUTES=2). The results go into docs/teaching.md, one block per notebook (and per precision:
GAN_BFLOAT16=0 writes the "float32" block) between its markers, with
the command, the machine, the thread setting and the load average before and after the run (the machine may
be shared: read the times with the load in mind). Each executed notebook is also saved, with its outputs, in
--executed DIR (default build/lesson_timings/, git-ignored), so that its figures and printouts can be read.
"""

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import gan_utils
from bench import harness
from bench.harness import ROOT

DOCS = ROOT / "docs" / "teaching.md"
LESSONS = ROOT / "notebooks"
SOLUTIONS = LESSONS / "solutions"


def sections(notebook):
    """``[(heading, [code cell indices])]`` in order: each code cell under the last '## ' heading above it."""
    result = [("Title and parameters", [])]
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            headings = [line[3:].strip() for line in cell.source.splitlines() if line.startswith("## ")]
            if headings:  # two sections in one cell: the code that follows belongs to both
                result.append((" / ".join(headings), []))
        elif cell.cell_type == "code":
            result[-1][1].append(index)
    return [(heading, cells) for heading, cells in result if cells or heading != "Title and parameters"]


def kernel_environment(path):
    """The kernel's environment: this one, without smoke mode or what the benchmark helpers set, and for
    notebook 03 the JPEG copy of CIFAR-10 where torchvision's copy is missing. Returns (env, note)."""
    env = dict(os.environ)
    env.pop("GAN_SMOKE", None)
    env.pop("TQDM_DISABLE", None)  # set by bench/__init__.py for its own tables; a class sees the progress bars
    note = ""
    data = gan_utils.data_dir()
    jpeg = data / "cifar10-jpeg" / "train"
    if path.name.startswith("03") and "GAN_DATASET" not in env and path.parent == LESSONS:
        if not (data / "cifar-10-batches-py").is_dir() and jpeg.is_dir():
            env["GAN_DATASET"] = str(jpeg)
            note = "GAN_DATASET set by this script: torchvision's CIFAR-10 is not in the data folder, its JPEG copy is"
    return env, note


def shown(path):
    """A path as the results show it: from the repository root when it is inside it."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def first_line(source):
    """A cell's first line of code, for the table (comments and marker lines skipped)."""
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    text = lines[0].strip() if lines else source.strip()
    return text if len(text) <= 60 else text[:57] + "..."


def time_notebook(path, executed_dir=None):
    """Run ``path`` top to bottom; returns ``(kernel_seconds, {cell index: seconds}, notebook, env, note)``,
    ``env`` being the kernel's environment."""
    notebook = nbformat.read(path, as_version=4)
    env, note = kernel_environment(path)
    where = {"metadata": {"path": str(path.parent)}}  # the kernel starts in the notebook's folder
    client = NotebookClient(notebook, timeout=3600, kernel_name="python3", resources=where)
    seconds = {}
    started = time.perf_counter()
    with client.setup_kernel(env=env):
        kernel_seconds = time.perf_counter() - started
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                started = time.perf_counter()
                client.execute_cell(cell, index)  # raises CellExecutionError, with the cell's error, if it fails
                seconds[index] = time.perf_counter() - started
                print(f"  cell {index:>2}: {seconds[index]:7.1f} s  {first_line(cell.source)}", flush=True)
    if executed_dir is not None:
        executed_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, executed_dir / path.name)
    return kernel_seconds, seconds, notebook, env, note


def minutes(seconds):
    return f"{seconds / 60:.1f}" if seconds >= 6 else "< 0.1"


def report(path, kernel_seconds, seconds, notebook, env, note, load_before, load_after):
    """The Markdown block for one notebook: a table of sections, then the run's conditions."""
    rows = [["", "starting the kernel", "", minutes(kernel_seconds), ""]]
    for number, (heading, cells) in enumerate(sections(notebook)):
        total = sum(seconds[index] for index in cells)
        longest = ""
        if total >= 6:  # name the cell that takes the time
            slowest = max(cells, key=seconds.get)
            longest = f"{seconds[slowest]:.0f} s: `{first_line(notebook.cells[slowest].source)}`"
        rows.append([str(number), heading, str(len(cells)), minutes(total), longest])
    total = kernel_seconds + sum(seconds.values())
    rows.append(["", "**all**", str(len(seconds)), f"**{total / 60:.1f}**", ""])
    table = harness.table(["#", "section", "code cells", "minutes", "its slowest cell"], rows)
    threads = env.get("OMP_NUM_THREADS", "unset (PyTorch's default)")
    gan = " ".join(f"{key}={value}" for key, value in sorted(env.items()) if key.startswith("GAN_"))
    lines = [
        f"`{shown(path)}`, default run ({gan}{'; ' + note if note else ''}).",
        f"OMP_NUM_THREADS={threads}; load average (1, 5, 15 min) before the run {fmt_load(load_before)}, "
        f"after it {fmt_load(load_after)}.",
        "",
        table,
    ]
    return "\n".join(lines)


def fmt_load(load):
    return ", ".join(f"{value:.2f}" for value in load)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="which notebooks, by number or path (default: all three)")
    parser.add_argument("--solutions", action="store_true", help="time the worked solutions instead of the lessons")
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "lesson_timings", help="where to save them")
    harness.add_docs_arguments(parser, DOCS)
    args = harness.parse(parser, argv, __spec__.name)

    folder = SOLUTIONS if args.solutions else LESSONS
    paths = [Path(name) for name in args.notebooks if name.endswith(".ipynb")]
    numbers = [name for name in args.notebooks if not name.endswith(".ipynb")]
    if numbers or not paths:
        paths += sorted(p for p in folder.glob("0*.ipynb") if not numbers or p.name[:2] in numbers)
    if not paths:
        raise SystemExit(f"no notebook {' '.join(args.notebooks)} in {folder}")
    for path in paths:
        print(f"{shown(path)}:", flush=True)
        load_before = os.getloadavg()
        kernel_seconds, seconds, notebook, env, note = time_notebook(path, args.executed / path.parent.name)
        text = report(path, kernel_seconds, seconds, notebook, env, note, load_before, os.getloadavg())
        # one block per precision: GAN_BFLOAT16=0 (the slow column) has its own markers
        column = " float32" if env.get("GAN_BFLOAT16") == "0" else ""
        harness.report(f"lesson_timings {shown(path)}{column}", text, args)


if __name__ == "__main__":
    main()
