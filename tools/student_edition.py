"""Write the student edition of the lessons: the "Your turn" answers cleared, as nbgrader hands them out.

    make student     # = .venv/bin/python tools/student_edition.py notebooks/0*.ipynb --out build/student

The lessons in notebooks/ are the teacher's edition: every "Your turn" cell holds its answer between the lines
``### BEGIN SOLUTION`` and ``### END SOLUTION``, and the check after it is an nbgrader test cell whose assert
sits between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. This runs nbgrader's own preprocessors,
in the order ``nbgrader generate_assignment`` runs them (without its gradebook database):

* ``ClearSolutions`` replaces each answer with ``# YOUR CODE HERE`` and ``raise NotImplementedError()``
  (the docstring and the hint above it stay);
* ``ClearHiddenTests`` removes the hidden asserts, so that an unfinished cell never stops the lesson (the
  check says "not done yet" and the lesson goes on with the reference); nbgrader's ``autograde`` puts them
  back from its database when it grades;
* ``LockCells`` makes the checks read-only, ``ClearOutput`` empties every output, ``ComputeChecksums``
  records each graded cell's checksum (as in nbgrader's release) and ``CheckCellMetadata`` checks nbgrader's
  cell metadata.

It also adds a short note at the top of each notebook, and points its relative links (``../docs/...``,
``solutions/...``) at the same files from the output folder.
"""

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# nbgrader generate_assignment's order: the checksums after the solutions are cleared, then again at the end
PREPROCESSORS = [
    LockCells,
    ClearSolutions,
    ClearOutput,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
]
NOTE = """**Student edition.** Fill in the cells marked *Your turn*: each says what its function must do and
gives a hint, and the cell after it checks your code at once. A cell you leave unfinished
(`raise NotImplementedError()`) does not stop the lesson: its check says "not done yet" and the lesson goes
on with the reference code until yours is right."""
LINK = re.compile(r"(\]\()([^)\s]+)(\))")  # a Markdown link or picture: [text](target)


def student_edition(notebook, source_folder, out_folder):
    """The student edition of ``notebook`` (an nbformat notebook read from ``source_folder``)."""
    solutions = [cell for cell in notebook.cells if "### BEGIN SOLUTION" in cell.source]
    if not solutions:
        raise ValueError("This notebook has no ### BEGIN SOLUTION markers: is it a lesson from notebooks/?")
    resources = {}
    for preprocessor in PREPROCESSORS:
        notebook, resources = preprocessor().preprocess(notebook, resources)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = LINK.sub(lambda m: m[1] + moved_link(m[2], source_folder, out_folder) + m[3], cell.source)
    note = new_markdown_cell(NOTE)
    note.id = "student-edition"
    notebook.cells.insert(1, note)  # after the title
    return notebook


def moved_link(target, source_folder, out_folder):
    """``target``, a link relative to ``source_folder``, made relative to ``out_folder``; web links and
    anchors stay as they are."""
    if re.match(r"[a-z]+:|#|/", target):
        return target
    path, _, anchor = target.partition("#")
    moved = Path(os.path.relpath(Path(source_folder).resolve() / path, Path(out_folder).resolve())).as_posix()
    return moved + (f"#{anchor}" if anchor else "")


def write_student_editions(paths, out_folder):
    """Write the student edition of each lesson at ``paths`` into ``out_folder``; returns the files written."""
    out_folder = Path(out_folder)
    out_folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in map(Path, paths):
        notebook = nbformat.read(path, as_version=4)
        notebook = student_edition(notebook, path.parent, out_folder)
        nbformat.write(notebook, out_folder / path.name)
        written.append(out_folder / path.name)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the student edition of the lessons (nbgrader's release).")
    parser.add_argument("notebooks", nargs="+", type=Path, help="the lessons (teacher's edition)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "student", help="default: build/student")
    args = parser.parse_args(argv)
    for path in write_student_editions(args.notebooks, args.out):
        print(f"wrote {path}")
    print("Hand out that folder (with the repository, for gan_utils and the data); docs/teaching.md says how.")


if __name__ == "__main__":
    sys.exit(main())
