"""The per-step numbers the lessons and the README quote are the reference runs' (gan_utils/reference_runs/).

One source for each measured number: the text says "95% legible at step 5,000", and the shipped bfloat16
reference run, which the training cells' forecasts read, must say the same, rounded as the text rounds it.
"""

import math
import re
from pathlib import Path

import nbformat
import pytest

from gan_utils import forecast

ROOT = Path(__file__).resolve().parents[1]


def markdown(name):
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def sentence(text, start):
    """The sentence (or table row) of ``text`` that begins with ``start``, on one line."""
    found = re.search(re.escape(start) + r".*?(?:\.\s|\|\n|$)", text, re.DOTALL)
    assert found, f"the text no longer says {start!r}: update this test with it"
    return " ".join(found.group(0).split())


def at_step(lesson, step, precision="bfloat16"):
    """The reference run's value at ``step`` (bfloat16 unless the text says float32): one of its checks."""
    curve = dict(forecast.reference_runs(precision)[lesson]["curve"])
    assert step in curve, f"the {precision} reference run of {lesson} was not scored at step {step:,}"
    return curve[step]


def pairs(text, pattern):
    """(step, quoted number, decimals) for each match of ``pattern`` (groups: number, step, or step, number)."""
    found = []
    for match in re.finditer(pattern, text):
        number, step = match.group("number"), int(match.group("step").replace(",", ""))
        found.append((step, float(number), len(number.partition(".")[2])))
    return found


LEGIBLE = r"(?P<number>\d+(?:\.\d)?)% (?:legible )?(?:at|after) (?:step )?(?P<step>\d[\d,]*)"
DISTANCE = r"after (?P<step>\d[\d,]*) steps (?P<number>\d+(?:\.\d+)?)"
QUOTES = [  # (where, the sentence's start, the pattern of its numbers, lesson, how a value becomes the quote)
    ("02_conditional_gan.ipynb", "**Legibility** (section 5)", LEGIBLE, "02", 100),
    ("02_conditional_gan.ipynb", "The lesson's own run reads", LEGIBLE, "02", 100),  # exercise 2's fold
    ("02_conditional_gan.ipynb", "the float32 run reads", LEGIBLE, "02", 100),
    ("01_vanilla_gan.ipynb", "For scale, in our run (seed 0)", DISTANCE, "01", 1),
    ("README.md", "| 02 cGAN |", r"(?P<number>\d+)% (?:legible )?after (?P<step>\d[\d,]*)", "02", 100),
    ("03_dcgan_cifar10.ipynb", "How far do more steps take these networks?", DISTANCE, "03", 1),
    ("README.md", "| 03 DCGAN,", r"(?P<number>\d+\.\d) after (?P<step>\d[\d,]*)", "03", 1),
]


@pytest.mark.parametrize("where, start, pattern, lesson, scale", QUOTES, ids=[q[0] + ": " + q[1] for q in QUOTES])
def test_quoted_numbers_are_the_reference_runs(where, start, pattern, lesson, scale):
    text = (ROOT / where).read_text() if where.endswith(".md") else markdown(where)
    quoted = [(step, number, decimals) for step, number, decimals in pairs(sentence(text, start), pattern)]
    checked = [(step, number, decimals) for step, number, decimals in quoted if step <= 16_000]  # the runs' end
    assert len(checked) >= 3, f"found too few numbers to check in: {sentence(text, start)}"
    precision = "float32" if "float32" in start else "bfloat16"
    for step, number, decimals in checked:
        value = at_step(lesson, step, precision)
        value = math.floor(scale * value * 10**decimals + 0.5) / 10**decimals  # half up, as the text rounds
        assert value == number, f"{where} quotes {number} at step {step:,}; the reference run has {value}"
