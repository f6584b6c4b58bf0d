"""How many seconds of training until notebook 02's conditional GAN draws legible digits?

Trains the cGAN through ``gan_utils`` and, in the same run, a seed-style baseline: the same networks
(same initial weights) and settings, fed by torchvision's MNIST + DataLoader(num_workers=2) with
ToTensor/Normalize per image (see bench/common.py). The two take turns, ``--every`` seconds of training
each, so both see the same machine. After every turn, legibility is measured on 1,000 samples (100 per
digit) with the project's classifier; that time is not counted as training. Prints, for each, the
training seconds to reach legibility 0.80, 0.90 and 0.95 (or "not reached" within ``--budget``) and the
ratio, and writes the table to docs/benchmarks.md.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/time_to_legible.py [--budget 600] [--every 10]
"""

import argparse
import time

import common

from gan_utils.data import load_mnist
from gan_utils.legibility import legibility
from gan_utils.pretrain import CGAN_BATCH_SIZE, conditional_gan

THRESHOLDS = (0.80, 0.90, 0.95)


class Contender:
    """One way of training, with its clock and its legibility after each turn."""

    def __init__(self, name, train, model, steps, batch_size):
        self.name, self.train, self.model, self.steps, self.batch_size = name, train, model, steps, batch_size
        self.seconds = 0.0  # training time only
        self.curve = []  # (training seconds, legibility)
        self.reached = {}

    def turn(self, seconds):
        started = time.perf_counter()
        self.train(seconds)
        self.seconds += time.perf_counter() - started
        score = legibility(self.model(), n_per_digit=100)["overall"]
        self.curve.append((self.seconds, score))
        for threshold in THRESHOLDS:
            if score >= threshold and threshold not in self.reached:
                self.reached[threshold] = self.seconds
        print(f"{self.name:>10}: {self.seconds:6.1f} s  legibility {score:.3f}", flush=True)

    def images_per_second(self):
        return self.steps() * self.batch_size / self.seconds

    def done(self, budget):
        return self.seconds >= budget or len(self.reached) == len(THRESHOLDS)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600, help="training seconds each, at most (default 600)")
    parser.add_argument("--every", type=float, default=10, help="seconds of training between measurements")
    parser.add_argument("--batch-size", type=int, default=CGAN_BATCH_SIZE)
    parser.add_argument("--lr", type=float, help="learning rate (default: notebook 02's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--float32", action="store_true", help="no bfloat16 for gan_utils, even where it is fast")
    parser.add_argument("--only", choices=["gan_utils", "seed-style"], help="train only one of the two")
    common.add_docs_arguments(parser)
    args = parser.parse_args()

    images, labels = load_mnist()
    trainer, baseline = conditional_gan(args.seed), conditional_gan(args.seed)  # the same initial weights
    trainer.bfloat16 = trainer.bfloat16 and not args.float32
    lr = args.lr or trainer.opt_G.param_groups[0]["lr"]
    for opt in (trainer.opt_G, trainer.opt_D, baseline.opt_G, baseline.opt_D):
        opt.param_groups[0]["lr"] = lr
    contenders = []
    if args.only != "seed-style":

        def train_gan_utils(seconds):
            trainer.train(images, labels, batch_size=args.batch_size, minutes=seconds / 60)

        contenders.append(
            Contender("gan_utils", train_gan_utils, lambda: trainer.G, lambda: trainer.step, args.batch_size)
        )
    if args.only != "gan_utils":
        seed_loop = common.SeedStyleLoop(baseline, args.batch_size)
        contenders.append(
            Contender("seed-style", seed_loop.train, lambda: seed_loop.G, lambda: seed_loop.step, args.batch_size)
        )

    while not all(c.done(args.budget) for c in contenders):
        for contender in contenders:
            if not contender.done(args.budget):
                contender.turn(min(args.every, args.budget - contender.seconds))

    header = ["legibility", *(f"{c.name} (s)" for c in contenders)]
    if len(contenders) == 2:
        header.append("seed-style / gan_utils")
    rows = []
    for threshold in THRESHOLDS:
        row = [f"{threshold:.2f}"]
        for c in contenders:
            row.append(f"{c.reached[threshold]:.0f}" if threshold in c.reached else f"not reached in {c.seconds:.0f}")
        if len(contenders) == 2:
            a, b = (c.reached.get(threshold) for c in contenders)
            if a is None:
                row.append("-")
            elif b is None:
                row.append(f"> {contenders[1].seconds / a:.1f}x")
            else:
                row.append(f"{b / a:.1f}x")
        rows.append(row)
    rows.append(["images/s", *(f"{c.images_per_second():,.0f}" for c in contenders)] + [""] * (len(contenders) == 2))
    text = (
        f"Notebook 02's cGAN, batch {args.batch_size}, lr {lr:g}, seed {args.seed}"
        + (", gan_utils in float32" if args.float32 else "")
        + "; training seconds until "
        f"the classifier reads back the asked-for digit in that share of 1,000 samples "
        f"(measured every {args.every:g} s of training, budget {args.budget:g} s each).\n\n"
        + common.table(header, rows)
        + "\n\nLegibility after each turn (training seconds: legibility):\n\n"
        + "\n".join(
            f"- {c.name}: " + ", ".join(f"{seconds:.0f}: {score:.3f}" for seconds, score in c.curve) for c in contenders
        )
    )
    common.report("time_to_legible", text, args)


if __name__ == "__main__":
    main()
