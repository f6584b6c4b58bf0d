"""notebooks/solutions/: one worked-solutions notebook per lesson, with a section for every "Try it yourself"
exercise the lesson states, committed without outputs, ending with self-checks. (``make test-notebooks`` runs
them; this checks that they keep up with the lessons.)"""

import re

import nbformat
import pytest
from notebook_outputs import REPO_ROOT

LESSONS = sorted((REPO_ROOT / "notebooks").glob("0*.ipynb"))


def solution_of(lesson):
    return lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"


def exercises(lesson):
    """``{number: title}`` of the exercises in the lesson's "Try it yourself" section: its bold
    ``**1. Title.**`` paragraphs."""
    cells = nbformat.read(lesson, as_version=4).cells
    start = next(i for i, cell in enumerate(cells) if "Try it yourself" in cell.source and cell.cell_type == "markdown")
    found = {}
    for cell in cells[start:]:
        if cell.cell_type == "markdown":
            for number, title in re.findall(r"^\*\*(\d+)\. (.+?)\.?\*\*", cell.source, flags=re.MULTILINE):
                found[int(number)] = title
    return found


def test_every_lesson_has_exercises_and_a_solutions_notebook():
    assert len(LESSONS) == 3
    for lesson in LESSONS:
        assert len(exercises(lesson)) >= 3, lesson.name
        assert solution_of(lesson).is_file(), f"no worked solutions for {lesson.name}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_the_solutions_work_every_exercise_of_the_lesson(lesson):
    solution = nbformat.read(solution_of(lesson), as_version=4)
    headings = {
        line[3:].strip()
        for cell in solution.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    }
    for number, title in exercises(lesson).items():
        assert f"{number}. {title}" in headings, f"{solution_of(lesson).name} has no section '## {number}. {title}'"
    assert f"../{lesson.name}" in solution.cells[0].source  # it links back to its lesson


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_the_solutions_are_stripped_and_end_with_self_checks(lesson):
    solution = nbformat.read(solution_of(lesson), as_version=4)
    code = [cell for cell in solution.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), "run nbstripout on it"
    assert 'SMOKE = os.environ.get("GAN_SMOKE") == "1"' in code[0].source  # the lessons' convention
    assert "check(" in code[-1].source and "all self-checks passed" in code[-1].source
    assert not any("PLACEHOLDER" in cell.source for cell in solution.cells)
