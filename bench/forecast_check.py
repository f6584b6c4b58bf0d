"""Does the training cell's forecast hold? Run a lesson as a class does and compare the forecast with the result.

Each notebook runs top to bottom in a fresh kernel (nbclient), in its default mode (its whole GAN_MINUTES
budget, exercises off), with this process's environment: to stand for a CPU without bfloat16 at half the
reference machine's speed, run it as

    GAN_BFLOAT16=0 OMP_NUM_THREADS=1 GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.forecast_check 01 02

The table gives, for each lesson, what the forecast said a few seconds into training (steps in the budget and
the reference run's quality at that step) and what the run then made and measured: notebook 01's Frechet
distance of the saved generator (section 8), notebook 02's legibility of the kept generator (section 5), notebook
03's CIFAR-10 distance of the saved generator (section 9).
"""

import argparse
import os
import re

import nbformat
from nbclient import NotebookClient

import gan_utils
from bench import harness

LESSONS = harness.ROOT / "notebooks"
NAMES = {"01": "01_vanilla_gan.ipynb", "02": "02_conditional_gan.ipynb", "03": "03_dcgan_cifar10.ipynb"}
RESULT = {  # what each lesson prints about the generator it trained
    "01": r"Frechet distance to the real test digits: ([\d.]+)",
    "02": r"kept step [\d,]+ of ([\d,]+): ([\d.]+)% legible",
    "03": r"Frechet distance to the real test images: ([\d.]+)",  # CIFAR-10's yardstick (section 9)
}


def printed(notebook):
    return "\n".join(
        "".join(output.get("text", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def check(lesson):
    """Run the lesson; return (forecast steps, forecast quality, steps made, quality reached) as text."""
    env_note = {key: os.environ.get(key) for key in ("GAN_BFLOAT16", "OMP_NUM_THREADS", "GAN_MINUTES")}
    print(f"running {NAMES[lesson]} with {env_note} ...", flush=True)
    os.environ.pop("GAN_SMOKE", None)
    notebook = nbformat.read(LESSONS / NAMES[lesson], as_version=4)
    NotebookClient(notebook, timeout=1800, resources={"metadata": {"path": str(LESSONS)}}).execute()
    text = printed(notebook)
    forecast = re.search(
        r"so (?:about|the run stops at step) ([\d,]*\d)[ ,].*? "
        r"The reference run (?:was ([\d.]+)%|had a .*? of ([\d.]+))",
        text,
    )  # "about N steps in M minutes", or "the run stops at step N" (notebook 03's last step on a CPU)
    made = re.search(r"([\d,]+) steps \(", text) if lesson == "01" else None
    result = re.search(RESULT[lesson], text)
    if not (forecast and result):
        raise SystemExit(f"{NAMES[lesson]}: no forecast or no result in its output:\n{text[-3000:]}")
    forecast_quality = forecast.group(2) and f"{forecast.group(2)}%" or forecast.group(3)
    if lesson == "01":
        steps, reached = made.group(1), result.group(1)
    elif lesson == "03":  # the lesson prints no step count: its checkpoint has it
        steps = f"{gan_utils.load_checkpoint(gan_utils.CHECKPOINT_DIR / 'dcgan.pt')['step']:,}"
        reached = result.group(1)
    else:
        steps, reached = result.group(1), f"{result.group(2)}%"
    precision = re.search(r"Training on \w+ in (\w+)", text).group(1)
    return [NAMES[lesson], precision, forecast.group(1), forecast_quality, steps, reached]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", default=["01", "02"], choices=sorted(NAMES))
    harness.add_docs_arguments(parser)
    args = harness.parse(parser, argv, __spec__.name)
    header = ["notebook", "precision", "forecast: steps", "forecast: quality", "made: steps", "reached"]
    rows = [check(lesson) for lesson in args.lessons]
    settings = ", ".join(f"{key}={os.environ[key]}" for key in ("GAN_BFLOAT16", "OMP_NUM_THREADS") if key in os.environ)
    text = f"Settings: {settings or 'the defaults'}.\n\n" + harness.table(header, rows)
    harness.report("forecast_check", text, args)


if __name__ == "__main__":
    main()
