"""The student edition (`make student`) runs to the end in smoke mode and without training (GAN_TRAIN=0: each
lesson uses its pretrained generator) with every "Your turn" cell unfinished: each check says "not done yet", the
lesson goes on with the reference code, and the self-checks pass. And nbgrader grades it: its autograde puts the
hidden asserts back and gives each check cell its points only for a right answer.

The teacher's edition runs in smoke mode with training in the nbval run of `make test-notebooks`, and with half a
minute of training in test_short_runs.py: with this GAN_TRAIN=0 run, each lesson is run once per setting.
Each lesson runs in a fresh kernel (nbclient, as JupyterLab runs it): about a minute for the three.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO_ROOT / "notebooks").glob("0*.ipynb"))
BIN = Path(sys.executable).parent  # nbgrader, and the alembic it calls for its database, live beside Python
pytestmark = pytest.mark.slow  # each test runs a notebook


@pytest.fixture(scope="module")
def student_folder(tmp_path_factory):
    """The student edition, written by the command `make student` runs."""
    folder = tmp_path_factory.mktemp("student")
    script = REPO_ROOT / "tools" / "student_edition.py"
    subprocess.run([sys.executable, script, *LESSONS, "--out", folder], check=True, capture_output=True)
    return folder


def smoke_environment(monkeypatch, dataset, train=True):
    """Smoke mode, as `make test` runs the teacher's edition (notebook 03 on ``dataset``, a few CIFAR-10 images);
    ``train=False`` adds GAN_TRAIN=0."""
    for key in ("GAN_TRAIN", "GAN_MINUTES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GAN_SMOKE", "1")
    monkeypatch.setenv("GAN_DATASET", dataset)
    if not train:
        monkeypatch.setenv("GAN_TRAIN", "0")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_the_student_edition_runs_to_the_end_without_training(lesson, student_folder, smoke_dataset, monkeypatch):
    smoke_environment(monkeypatch, smoke_dataset, train=False)  # the kernel inherits this process's environment
    notebook = nbformat.read(student_folder / lesson.name, as_version=4)
    names = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells if "nbgrader" in cell.metadata]
    names = [name for name in names if not name.startswith("check_")]
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(student_folder)}}).execute()
    printed = "".join(
        "".join(output.get("text", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert len(names) >= 2
    assert "GAN_TRAIN=0" in printed  # the lesson said it uses its pretrained generator
    for name in names:
        assert f"`{name}` is not done yet: using the reference `{name}` for now." in printed, name
    assert ": correct." not in printed  # no check passed an unfinished cell
    assert "all self-checks passed" in printed.splitlines()[-1]


def test_nbgrader_grades_the_student_edition(tmp_path, smoke_dataset, monkeypatch):
    """A course with notebook 02 (the quickest): `nbgrader generate_assignment` releases it, and `nbgrader
    autograde` gives no points to an unfinished copy, and one point to a copy with one right answer (glue_label)
    and one wrong (phone_digits, which reads a letter O as nothing instead of refusing it)."""
    smoke_environment(monkeypatch, smoke_dataset)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    lesson = REPO_ROOT / "notebooks" / "02_conditional_gan.ipynb"
    (tmp_path / "source" / "gan").mkdir(parents=True)
    (tmp_path / "source" / "gan" / lesson.name).write_bytes(lesson.read_bytes())
    nbgrader = [str(BIN / "nbgrader")]
    course = f"--CourseDirectory.root={tmp_path}"
    subprocess.run([*nbgrader, "generate_assignment", "gan", course], check=True, capture_output=True, cwd=tmp_path)
    released = nbformat.read(tmp_path / "release" / "gan" / lesson.name, as_version=4)
    assert "raise NotImplementedError()" in "".join(cell.source for cell in released.cells)
    answers = {
        "alice": {},  # hands in the notebook as released
        "bob": {
            "glue_label": "return torch.cat([x.flatten(1), torch.eye(num_classes)[labels]], dim=1)",
            "phone_digits": "return [int(char) for char in text if char.isdigit()]",
        },
    }
    for student, written in answers.items():
        notebook = nbformat.read(tmp_path / "release" / "gan" / lesson.name, as_version=4)
        for cell in notebook.cells:
            answer = written.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if answer:
                cell.source = cell.source.replace("# YOUR CODE HERE\n    raise NotImplementedError()", answer)
        (tmp_path / "submitted" / student / "gan").mkdir(parents=True)
        nbformat.write(notebook, tmp_path / "submitted" / student / "gan" / lesson.name)
    autograde = [*nbgrader, "autograde", "gan", course, "--create"]
    subprocess.run(autograde, check=True, capture_output=True, cwd=tmp_path, timeout=600)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        scores = {
            student: {
                grade.name: grade.score
                for grade in gradebook.find_submission_notebook(lesson.stem, "gan", student).grades
            }
            for student in answers
        }
    assert scores["alice"] == {"check_glue_label": 0, "check_phone_digits": 0}
    assert scores["bob"] == {"check_glue_label": 1, "check_phone_digits": 0}
