"""Wall time of each notebook in smoke mode under nbval, and of one widget re-render of a phone number.

Each notebook runs as CI runs it (``GAN_SMOKE=1 pytest --nbval-lax --nbval-current-env``, notebook 03
on the CIFAR-10 samples beside the data when they are there), one pytest process per notebook, timed
from start to exit: kernel start-up and imports included. The widget measurement times
``DigitPicker.render()`` for 010-1234-5678 (11 digits: tokenize, generate, encode the PNG, update the
widget) with the pretrained generator, after a warm-up.

    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.notebooks
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import gan_utils
from bench import harness
from gan_utils.checkpoints import PRETRAINED_CGAN
from gan_utils.widget import DigitPicker

NOTEBOOKS = sorted((harness.ROOT / "notebooks").glob("0*.ipynb"))
SANITIZE = harness.ROOT / "tests" / "nbval_sanitize.cfg"
RENDERS = 200


def run_notebook(path):
    """Seconds for nbval to run ``path`` in smoke mode; raises if a cell fails."""
    env = dict(os.environ, GAN_SMOKE="1")
    samples = gan_utils.data_dir() / "cifar10-samples"
    if samples.is_dir():
        env.setdefault("GAN_DATASET", str(samples))
    command = [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider"]
    command.append(f"--nbval-sanitize-with={SANITIZE}")  # as make test-notebooks runs them
    started = time.perf_counter()
    result = subprocess.run([*command, str(path)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{path.name} failed under nbval:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return seconds, result.stdout.strip().splitlines()[-1]


def render_times(renders, text="010-1234-5678"):
    """Milliseconds of each of ``renders`` re-renders of ``text`` in the digit picker."""
    picker = DigitPicker(gan_utils.load_generator(PRETRAINED_CGAN), text=text)
    for _ in range(10):
        picker.render()  # warm-up
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        picker.render()
        times.append(1000 * (time.perf_counter() - started))
    return sorted(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_docs_arguments(parser)
    args = harness.parse(parser, argv, __spec__.name)

    rows, total = [], 0.0
    for path in NOTEBOOKS:
        seconds, summary = run_notebook(path)
        total += seconds
        rows.append([path.name, f"{seconds:.1f}", summary])
        print(f"{path.name}: {seconds:.1f} s ({summary})", flush=True)
    rows.append(["all of the above", f"{total:.1f}", ""])
    times = render_times(RENDERS)
    median, low, high = statistics.median(times), times[len(times) // 10], times[9 * len(times) // 10]
    text = (
        harness.table(["notebook (GAN_SMOKE=1, nbval)", "wall s", "pytest says"], rows)
        + f"\n\nWidget: one re-render of 010-1234-5678 in the digit picker: median {median:.2f} ms "
        f"(10th-90th percentile {low:.2f}-{high:.2f} ms, {RENDERS} re-renders)."
    )
    harness.report("notebooks", text, args)


if __name__ == "__main__":
    main()
