"""The lessons stay readable in a class's time (issue 33): each lesson's text at most 3,300 words (about 16 minutes
at 200 words a minute), each "What to look for", read while the live figure moves, at most 200 words and 5 bullets.

How words are counted: the markdown cells' source split at white space (LaTeX, code spans and link targets count
as the words they split into), the headings included.

How ``<details>`` folds count:

* A fold that answers a **Predict** question (its summary starts with "What we saw" or "What to expect") is read
  by every student who guessed: it counts in full, towards the lesson's 3,300 and towards its section's limits.
* Any other fold is a side note for the curious or the teacher, collapsed by default: it does not count towards
  the 3,300, but a lesson's side-note folds together may hold at most 600 words, so that the folds do not become
  a place where the text grows back unseen. Longer teacher material belongs in docs/teaching.md.

A "What to look for" section is the markdown cell that starts with the heading ``### What to look for``, up to
its end (the training cell follows it); each lesson has exactly one. Its bullets are the lines that start a
Markdown list item (``*``, ``-`` or ``1.``), its folds' included.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("0*.ipynb"))

LESSON_WORDS = 3_300
SIDE_NOTE_WORDS = 600
LOOK_WORDS = 200
LOOK_BULLETS = 5

FOLD = re.compile(r"<details>\s*<summary>(?P<summary>.*?)</summary>(?P<body>.*?)</details>", re.DOTALL)
PREDICT_FOLD = ("What we saw", "What to expect")
BULLET = re.compile(r"^\s*(?:[*-]|\d+\.)\s", re.MULTILINE)


def words(text):
    return len(text.split())


def markdown_cells(path):
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]


def counted_and_side_notes(source):
    """(the words a student reads: all but the side-note folds, the words in side-note folds) of one cell."""
    side_notes = 0
    for fold in FOLD.finditer(source):
        if not fold.group("summary").strip().startswith(PREDICT_FOLD):
            side_notes += words(fold.group(0))
    return words(source) - side_notes, side_notes


def what_to_look_for(path):
    sections = [source for source in markdown_cells(path) if source.startswith("### What to look for")]
    assert len(sections) == 1, f"{path.name}: {len(sections)} cells start with '### What to look for', not 1"
    return sections[0]


def test_the_lessons_are_found():
    assert [path.name[:2] for path in LESSONS] == ["01", "02", "03"]


@pytest.mark.parametrize("path", LESSONS, ids=[path.name for path in LESSONS])
def test_lesson_length(path):
    counts = [counted_and_side_notes(source) for source in markdown_cells(path)]
    counted, side_notes = sum(c for c, _ in counts), sum(s for _, s in counts)
    assert counted <= LESSON_WORDS, f"{path.name}: {counted:,} words of markdown, over {LESSON_WORDS:,}"
    assert side_notes <= SIDE_NOTE_WORDS, (
        f"{path.name}: {side_notes:,} words in side-note folds, over {SIDE_NOTE_WORDS:,}: move them to docs/teaching.md"
    )


@pytest.mark.parametrize("path", LESSONS, ids=[path.name for path in LESSONS])
def test_what_to_look_for_length(path):
    section = what_to_look_for(path)
    counted, _ = counted_and_side_notes(section)
    bullets = len(BULLET.findall(section))
    assert counted <= LOOK_WORDS, f"{path.name}: 'What to look for' has {counted} words, over {LOOK_WORDS}"
    assert bullets <= LOOK_BULLETS, f"{path.name}: 'What to look for' has {bullets} bullets, over {LOOK_BULLETS}"


def test_the_counts_follow_the_rules():
    """The counting itself, on a made-up cell: a Predict fold counts, a side note does not, bullets in folds do."""
    cell = (
        "### What to look for\n\nOne two three.\n\n* four\n- five\n\n"
        "<details><summary>What we saw</summary>\n\n1. six seven\n\n</details>\n\n"
        "<details><summary>Why, for the curious</summary>\n\neight nine ten\n\n</details>\n"
    )
    counted, side_notes = counted_and_side_notes(cell)
    assert side_notes == words("<details><summary>Why, for the curious</summary> eight nine ten </details>")
    assert counted == words(cell) - side_notes
    assert len(BULLET.findall(cell)) == 3
