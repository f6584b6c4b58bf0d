"""The lessons' "Your turn" cells follow nbgrader's conventions, their answers are right, and `make student`
(tools/student_edition.py) clears them as nbgrader does. (tests/lessons/test_student_edition_runs.py runs the
student edition, and grades it with nbgrader.)"""

import importlib.util
import re

import nbformat
import pytest
import torch
import torch.nn.functional as F
from helpers import make_trainer, same_weights
from notebook_outputs import REPO_ROOT
from torch import nn

import gan_utils
from gan_utils import checks

pytestmark = pytest.mark.usefixtures("float32")  # the same numbers on every CPU (conftest.py)

LESSONS = sorted((REPO_ROOT / "notebooks").glob("0*.ipynb"))
spec = importlib.util.spec_from_file_location("student_edition", REPO_ROOT / "tools" / "student_edition.py")
student_edition = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_edition)


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def your_turn_cells(notebook):
    """``(answer cell, check cell)`` for each "Your turn" cell of a notebook."""
    cells = notebook.cells
    return [(cell, cells[i + 1]) for i, cell in enumerate(cells) if nbgrader(cell).get("solution")]


def answers(lesson):
    """The teacher's answers of a lesson, as functions by name."""
    namespace, names = {"torch": torch, "F": F, "nn": nn}, []
    for cell, _ in your_turn_cells(nbformat.read(lesson, as_version=4)):
        exec(cell.source, namespace)  # defines the function
        names.append(nbgrader(cell)["grade_id"])
    return {name: namespace[name] for name in names}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_your_turn_cells_follow_nbgrader_conventions(lesson):
    notebook = nbformat.read(lesson, as_version=4)
    pairs = your_turn_cells(notebook)
    assert len(pairs) >= 2, f"{lesson.name} has {len(pairs)} Your turn cells"
    grade_ids = [nbgrader(cell).get("grade_id") for cell in notebook.cells if nbgrader(cell)]
    assert len(grade_ids) == len(set(grade_ids)), "nbgrader needs a different grade_id for each cell"
    for answer, test in pairs:
        name = nbgrader(answer)["grade_id"]
        assert nbgrader(answer) == {**nbgrader(answer), "grade": False, "locked": False, "schema_version": 3}
        lines = answer.source.splitlines()
        begin, end = lines.index("    ### BEGIN SOLUTION"), lines.index("    ### END SOLUTION")
        assert (
            re.search(rf"^def {name}\(", answer.source, re.MULTILINE)
            and '"""' in answer.source[: answer.source.find("### BEGIN")]
        )
        assert "Hint:" in "\n".join(lines[:begin]) and begin + 1 < end  # the hint stays, the answer goes
        grading = nbgrader(test)
        assert grading["grade"] and grading["locked"] and not grading["solution"] and grading["points"] > 0
        assert grading["grade_id"] == f"check_{name}"
        assert f"lesson_{name} = gan_utils.checks.check_{name}({name})" in test.source
        hidden = test.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        assert f'assert "{name}" in gan_utils.checks.passed' in hidden


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_the_teachers_answers_pass_their_checks(lesson):
    for name, function in answers(lesson).items():
        assert getattr(checks, f"problem_with_{name}")(function) is None, name


def test_the_teachers_update_D_and_update_G_train_exactly_like_gan_utils(small_images):
    """So the lesson's run, with the answers in place, is the run the forecasts and the text describe."""
    mine = answers(LESSONS[0])
    lesson = make_trainer(label_smoothing=0.1, update_D=mine["update_D"], update_G=mine["update_G"])
    lesson.train(small_images, batch_size=32, steps=5)
    ours = make_trainer(label_smoothing=0.1)
    ours.train(small_images, batch_size=32, steps=5)
    assert lesson.history == ours.history and same_weights(lesson.G, ours.G) and same_weights(lesson.D, ours.D)


def test_the_student_edition_clears_the_answers_and_keeps_the_rest(tmp_path):
    written = student_edition.write_student_editions(LESSONS, tmp_path / "student")
    assert [path.name for path in written] == [lesson.name for lesson in LESSONS]
    for lesson, path in zip(LESSONS, written):
        teacher, student = nbformat.read(lesson, as_version=4), nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in student.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "checks.passed" not in text
        assert student.cells[1].id == "student-edition" and "not done yet" in student.cells[1].source
        for (answer, check), (theirs, _) in zip(your_turn_cells(student), your_turn_cells(teacher)):
            assert answer.source.endswith("    # YOUR CODE HERE\n    raise NotImplementedError()")
            assert answer.source.split("    # YOUR CODE HERE")[0] == theirs.source.split("    ### BEGIN SOLUTION")[0]
            assert check.metadata["editable"] is False and "checksum" in nbgrader(check)
            assert check.source.strip().endswith(
                f"check_{nbgrader(answer)['grade_id']}({nbgrader(answer)['grade_id']})"
            )
        assert all(not getattr(cell, "outputs", []) for cell in student.cells)
        for cell in student.cells:  # every relative link still reaches its file from the new folder
            for target in re.findall(r"\]\(([^)\s#]+)", cell.source if cell.cell_type == "markdown" else ""):
                if not re.match(r"[a-z]+:", target):
                    assert (path.parent / target).resolve().exists(), f"{path.name}: {target}"
        assert len(student.cells) == len(teacher.cells) + 1
    assert "BEGIN SOLUTION" in LESSONS[0].read_text()  # the teacher's edition is left as it was


def test_the_student_edition_needs_a_lesson_with_answers(tmp_path):
    with pytest.raises(ValueError, match="no ### BEGIN SOLUTION markers"):
        student_edition.write_student_editions(
            [REPO_ROOT / "notebooks/solutions/01_vanilla_gan_solutions.ipynb"], tmp_path
        )


def test_show_source_can_fold_the_reference():
    folded = gan_utils.show_source(gan_utils.update_G, folded="Ours").data
    assert folded.startswith("<details><summary>Ours</summary>\n\n```python\ndef update_G(") and folded.endswith(
        "</details>"
    )
    assert gan_utils.show_source(gan_utils.update_G).data.startswith("```python\ndef update_G(")
