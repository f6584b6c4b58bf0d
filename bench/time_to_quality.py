"""How many seconds of training each notebook's model needs to reach a fixed quality, before and after
the changes of issue 12 (an average of the generator's weights for sampling, notebook 01's batch size, and
the projection in notebook 02's discriminator).

For each notebook's model on MNIST (01: the MLP GAN, 02: the conditional GAN, 03: the DCGAN at 32x32) and
each precision (float32, and bfloat16 where the CPU has it), two trainers start from the same weights and
take turns of ``--turn`` seconds of training on the same machine:

- ``before``: the recipe as it shipped before issue 12 (see ``before``), sampling from the generator;
- ``after``: the notebook's recipe today (``gan_utils.recipes``), sampling from the averaged generator.

``before`` trains for the steps that the notebook's default minutes give on a laptop at half the speed of
this CPU (the figures the notebooks and issue 12 quote: 20,000 steps for notebook 01's 4 minutes, 9,000 for
notebook 02's 2, 2,800 for notebook 03's 5 on MNIST), so that the machine's load does not change what "the
default budget" means; ``after`` trains as many seconds. Every ``check`` steps of its own (``CHECK_STEPS``),
``mnist_quality`` reads 5,000 of each trainer's samples (not counted as training time): the Frechet
distance to the real test digits and, for the conditional GAN, the legibility as notebook 02 measures it
(100 samples of each digit). The threshold is ``before``'s quality at the end (the mean of its last two
checks); a trainer reaches it at the first check where the mean of that check and the one before it does
(single checks are noisy). The table gives each trainer's training seconds to the threshold, as the steps
to it times the trainer's seconds per step over its run (see ``seconds_per_step``), and their ratio: 2x or
more means that what a laptop at half this speed gets today, it gets in half the time.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/time_to_quality.py [--models 01 02 03]
        [--precisions float32 bfloat16] [--budget-scale 1]
"""

import argparse
import json
import math
import time
from pathlib import Path

import common
import torch

import gan_utils
from gan_utils import recipes
from gan_utils.legibility import legibility, load_classifier, mnist_quality
from gan_utils.training import has_fast_bfloat16

DEFAULT_MINUTES = {"01": 4, "02": 2, "03": 5}  # each notebook's default GAN_MINUTES
BUDGET_STEPS = {"01": 20_000, "02": 9_000, "03": 2_800}  # what those minutes give a laptop half as fast
CHECK_STEPS = {"01": 1000, "02": 500, "03": 200}
NAMES = {"01": "01 MLP GAN", "02": "02 cGAN", "03": "03 DCGAN 32x32"}


def before(model, seed):
    """The recipes as they shipped before issue 12: no average, notebook 01 at batch 64 with lr 5e-4, and notebook
    02's discriminator without the projection."""
    if model == "01":
        gan_utils.seed_everything(seed)
        G, D = gan_utils.MLPGenerator(latent_dim=64, hidden_dim=256), gan_utils.MLPDiscriminator(256, dropout=0.3)
        return gan_utils.GANTrainer(G, D, lr=5e-4, label_smoothing=0.1, batch_size=64, seed=seed, ema=None)
    if model == "02":
        return recipes.conditional_gan(seed, projection=False, ema=None)
    return after(model, seed, ema=None)  # 03: the same networks and settings as today, without the average


def after(model, seed, ema=0.995):
    if model == "01":
        return recipes.vanilla_gan(seed, ema=ema)
    if model == "02":
        return recipes.conditional_gan(seed, ema=ema)
    return recipes.dcgan(seed, channels=1, image_size=32, ema=ema)


def data(model):
    if model == "03":
        return gan_utils.load_images("mnist", image_size=32), None
    images, labels = gan_utils.load_mnist()
    return images, (labels if model == "02" else None)


class Contender:
    """A trainer in the race: its training seconds, and its quality every ``check`` steps."""

    def __init__(self, name, trainer, images, labels, bfloat16, check):
        trainer.bfloat16 = bfloat16
        self.name, self.trainer, self.images, self.labels, self.check = name, trainer, images, labels, check
        self.seconds = 0.0
        self.curve = []  # (training seconds, distance, legibility or None, step)

    def train(self, seconds, until_step):
        """Train for ``seconds`` at most, stopping at ``until_step`` and at each check (measured there)."""
        end = self.seconds + seconds
        while self.seconds < end - 0.01 and self.trainer.step < until_step:
            steps = min(until_step, (self.trainer.step // self.check + 1) * self.check) - self.trainer.step
            started = time.perf_counter()
            self.trainer.train(self.images, self.labels, steps=steps, minutes=(end - self.seconds) / 60)
            self.seconds += time.perf_counter() - started
            if self.trainer.step % self.check == 0:
                self.measure()

    def measure(self):
        G = self.trainer.generator
        result = mnist_quality(G, n=5000)
        legible = legibility(G, n_per_digit=100, seed=0)["overall"] if self.labels is not None else None
        self.curve.append((self.seconds, result["distance"], legible, self.trainer.step))
        text = f"distance {result['distance']:6.2f}" + (f"  legibility {legible:.3f}" if legible is not None else "")
        print(f"{self.name:>7}: {self.seconds:6.1f} s, step {self.trainer.step:6,}: {text}", flush=True)

    def images_per_second(self):
        return self.trainer.step * self.trainer.batch_size / self.seconds


def race(model, bfloat16, args):
    """Both trainers in turns: ``before`` for its step budget, ``after`` for as many training seconds."""
    images, labels = data(model)
    check = max(1, round(CHECK_STEPS[model] * args.budget_scale))
    first, second = (
        Contender(name, build(model, args.seed), images, labels, bfloat16, check)
        for name, build in (("before", before), ("after", after))
    )
    budget = round(BUDGET_STEPS[model] * args.budget_scale)
    while first.trainer.step < budget:
        first.train(args.turn, budget)
        second.train(first.seconds - second.seconds, math.inf)
    if first.curve[-1][3] != budget:
        first.measure()
    return first, second


class Dumped:
    """A contender read back from ``dump``'s JSON: its curve and its batch size, all that ``summary`` needs."""

    def __init__(self, path):
        state = json.loads(Path(path).read_text())
        self.curve = [tuple(point) for point in state["curve"]]
        self.trainer = argparse.Namespace(batch_size=state["batch_size"])


def dump(model, precision, contenders, folder):
    """The curves and the histories of scores, for the notebooks' "what to look for" figures."""
    folder.mkdir(parents=True, exist_ok=True)
    for c in contenders:
        state = {"curve": c.curve, "history": c.trainer.history, "batch_size": c.trainer.batch_size}
        (folder / f"{model}_{precision}_{c.name}.json").write_text(json.dumps(state))


def steps_to(curve, threshold, column):
    """The step of the first check where the mean of it and the check before reaches ``threshold``
    (distance: at most; legibility: at least)."""
    for previous, point in zip(curve, curve[1:]):
        value = (previous[column] + point[column]) / 2
        if (value <= threshold) if column == 1 else (value >= threshold):
            return point[3]
    return None


def seconds_per_step(run):
    """A trainer's training seconds per step over its whole run. The two trainers took turns, so both saw the
    same mix of load; a step's cost times the steps to a threshold does not depend on *when* the machine was
    busy, which the clock at the crossing would (a run that starts on a busy machine and ends on a quiet one
    makes its early steps look expensive)."""
    seconds, *_, steps = run.curve[-1]
    return seconds / steps


def summary(model, precision, contenders):
    """Table rows: the thresholds (what ``before`` ends with), and each trainer's seconds to reach them:
    the steps to the threshold times its seconds per step."""
    before_run, after_run = contenders
    columns = [(1, "distance")] + ([(2, "legibility")] if model == "02" else [])
    rates = [seconds_per_step(run) for run in contenders]
    rows = []
    for column, name in columns:
        last_two = [point[column] for point in before_run.curve[-2:]]
        threshold = sum(last_two) / len(last_two)
        steps = [steps_to(run.curve, threshold, column) for run in contenders]
        seconds = [None if n is None else n * rate for n, rate in zip(steps, rates)]
        shown = [f"{t:.0f} ({n:,} steps)" if n is not None else "not reached" for t, n in zip(seconds, steps)]
        ratio = f"{seconds[0] / seconds[1]:.1f}x" if None not in seconds else "-"
        # the after trainer at half of before's time: what a laptop at half this speed gets in the default minutes
        half_steps = before_run.curve[-1][3] * rates[0] / rates[1] / 2
        half = min(after_run.curve, key=lambda point: abs(point[3] - half_steps))
        digits = 3 if column == 2 else 2
        ends = f"{half[column]:.{digits}f} (step {half[3]:,}) / {after_run.curve[-1][column]:.{digits}f}"
        images_per_s = [f"{run.trainer.batch_size / rate:,.0f}" for run, rate in zip(contenders, rates)]
        rows.append(
            [
                NAMES[model],
                precision,
                f"{name} >= {threshold:.3f}" if column == 2 else f"{name} <= {threshold:.2f}",
                *shown,
                ratio,
                ends,
                " / ".join(images_per_s),
            ]
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["01", "02", "03"], choices=["01", "02", "03"])
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"])
    parser.add_argument("--budget-scale", type=float, default=1.0, help="train this times each notebook's budget")
    parser.add_argument("--turn", type=float, default=5.0, help="seconds of training per turn")
    parser.add_argument("--dump", help="a folder to write each trainer's curve and history to, as JSON")
    parser.add_argument(
        "--summarise", help="train nothing: make the table from the runs dumped in this folder (several runs' --dump)"
    )
    parser.add_argument("--seed", type=int, default=0)
    common.add_docs_arguments(parser)
    args = parser.parse_args()
    rows = []
    if args.summarise:
        for precision in args.precisions:
            for model in args.models:
                files = [Path(args.summarise) / f"{model}_{precision}_{name}.json" for name in ("before", "after")]
                if all(file.exists() for file in files):
                    rows += summary(model, precision, [Dumped(file) for file in files])
    else:
        load_classifier()  # read once, before the clocks start
    for precision in [] if args.summarise else args.precisions:
        if precision == "bfloat16" and not has_fast_bfloat16(torch.device("cpu")):
            print("This CPU has no bfloat16 instructions: skipping bfloat16.")
            continue
        for model in args.models:
            print(f"\n{NAMES[model]}, {precision}", flush=True)
            contenders = race(model, precision == "bfloat16", args)
            if args.dump:
                dump(model, precision, contenders, Path(args.dump))
            rows += summary(model, precision, contenders)
    header = [
        "model",
        "precision",
        "threshold (before's end)",
        "before: s (steps)",
        "after: s (steps)",
        "before/after",
        "after: at half of before's time / end",
        "images/s before / after",
    ]
    budgets = ", ".join(f"{NAMES[m]} {round(BUDGET_STEPS[m] * args.budget_scale):,} steps" for m in args.models)
    text = common.table(header, rows) + (
        f"\n\nBudgets of before: {budgets}; checks every {', '.join(f'{CHECK_STEPS[m]:,}' for m in args.models)} "
        f"steps; turns of {args.turn:g} s."
    )
    common.report("time_to_quality", text, args)


if __name__ == "__main__":
    main()
