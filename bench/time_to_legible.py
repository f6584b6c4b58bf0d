"""How many seconds of training until notebook 02's conditional GAN draws legible digits?

Trains the cGAN through ``gan_utils`` and, in the same run, a seed-style baseline: the same networks
(same initial weights) and settings, fed by torchvision's MNIST + DataLoader(num_workers=2) with
ToTensor/Normalize per image (see bench/common.py). The two take turns, ``--every`` seconds of training
each, so both see the same machine. After every turn, legibility is measured on 1,000 samples (100 per
digit) with the project's classifier; that time is not counted as training. Prints, for each, the
training seconds to reach legibility 0.80, 0.90 and 0.95 (or "not reached" within ``--budget``) and the
ratio. One race is one seed (the networks' initial weights, batches and noise): where a single run first
crosses 0.95 moves by tens of seconds from seed to seed, so it races once per seed (``--seeds``, default
0 1 2) and reports each ratio and their median. Writes the table to docs/benchmarks.md.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/time_to_legible.py [--budget 600] [--every 10] [--seeds 0 1 2]
"""

import argparse
import statistics

import common
import torch

from gan_utils.data import load_mnist
from gan_utils.legibility import legibility
from gan_utils.recipes import conditional_gan

THRESHOLDS = (0.80, 0.90, 0.95)


class Contender(common.Contender):
    """One way of training, with its legibility after each turn."""

    def __init__(self, name, train, model, steps, batch_size):
        super().__init__(name, train, steps, batch_size)
        self.model = model
        self.curve = []  # (training seconds, legibility)
        self.reached = {}

    def turn(self, seconds):
        rate = super().turn(seconds)
        score = legibility(self.model(), n_per_digit=100)["overall"]
        self.curve.append((self.seconds, score))
        for threshold in THRESHOLDS:
            if score >= threshold and threshold not in self.reached:
                self.reached[threshold] = self.seconds
        print(f"{self.name:>10}: {self.seconds:6.1f} s  legibility {score:.3f}  ({rate:,.0f} images/s)", flush=True)

    def done(self, budget):
        return self.seconds >= budget or len(self.reached) == len(THRESHOLDS)


def race(seed, args, images, labels):
    """Train both ways from the same initial weights, in turns, until each reaches every threshold or
    runs out of budget. Returns the contenders."""
    trainer, baseline = conditional_gan(seed), conditional_gan(seed)  # the same initial weights
    trainer.bfloat16 = trainer.bfloat16 and not args.float32
    if args.float32_output_layers:
        for net in (trainer.G, trainer.D):
            float32_layer(net.net[-1])
    for opt in (trainer.opt_G, trainer.opt_D, baseline.opt_G, baseline.opt_D):
        opt.param_groups[0]["lr"] = args.lr
    contenders = []
    if args.only != "seed-style":

        def train_gan_utils(seconds):
            trainer.train(images, labels, batch_size=args.batch_size, minutes=seconds / 60)

        contenders.append(
            Contender("gan_utils", train_gan_utils, lambda: trainer.generator, lambda: trainer.step, args.batch_size)
        )
    if args.only != "gan_utils":
        seed_loop = common.SeedStyleLoop(baseline, args.batch_size)
        contenders.append(
            Contender("seed-style", seed_loop.train, lambda: seed_loop.G, lambda: seed_loop.step, args.batch_size)
        )
    print(f"seed {seed}", flush=True)
    while not all(c.done(args.budget) for c in contenders):
        for contender in contenders:
            if not contender.done(args.budget):
                contender.turn(min(args.every, args.budget - contender.seconds))
    return contenders


def float32_layer(layer):
    """An experiment: make ``layer`` compute in float32 even inside a bfloat16 autocast block."""
    forward = layer.forward

    def float32_forward(x):
        with torch.autocast("cpu", enabled=False):
            return forward(x.float())

    layer.forward = float32_forward


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=600, help="training seconds each, at most (default 600)")
    parser.add_argument("--every", type=float, default=10, help="seconds of training between measurements")
    parser.add_argument("--batch-size", type=int, default=conditional_gan().batch_size)
    parser.add_argument("--lr", type=float, help="learning rate (default: notebook 02's)")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1, 2], help="one race per seed (default 0 1 2); the median ratio"
    )
    parser.add_argument("--float32", action="store_true", help="no bfloat16 for gan_utils, even where it is fast")
    parser.add_argument(
        "--float32-output-layers",
        action="store_true",
        help="an experiment: gan_utils' G and D compute their last layer in float32, the rest in bfloat16",
    )
    parser.add_argument(
        "--matmul-precision",
        choices=["highest", "high", "medium"],
        help="torch.set_float32_matmul_precision for float32 matrix products ('medium': bfloat16 inside them)",
    )
    parser.add_argument("--only", choices=["gan_utils", "seed-style"], help="train only one of the two")
    common.add_docs_arguments(parser)
    args = parser.parse_args()
    args.lr = args.lr or conditional_gan().opt_G.param_groups[0]["lr"]
    if args.matmul_precision:
        torch.set_float32_matmul_precision(args.matmul_precision)

    images, labels = load_mnist()
    races = {seed: race(seed, args, images, labels) for seed in args.seeds}
    names = [c.name for c in races[args.seeds[0]]]
    both = len(names) == 2

    def seconds(c, threshold):
        return f"{c.reached[threshold]:.0f}" if threshold in c.reached else f"> {c.seconds:.0f}"

    header = ["legibility", *(f"{name} (s)" for name in names)]
    if both:
        header += ["seed-style / gan_utils", "median"]
    rows = []
    for threshold in THRESHOLDS:
        row = [f"{threshold:.2f}"] + [
            ", ".join(seconds(r[i], threshold) for r in races.values()) for i in range(len(names))
        ]
        if both:
            ratios = [ratio(*r, threshold) for r in races.values()]
            each = (f"{'> ' * bound}{x:.1f}x" if x is not None else "-" for x, bound in ratios)
            row += [", ".join(each), median_ratio(ratios)]
        rows.append(row)
    rows.append(
        ["images/s"]
        + [", ".join(f"{r[i].images_per_second():,.0f}" for r in races.values()) for i in range(len(names))]
        + ["", ""] * both
    )
    text = (
        f"Notebook 02's cGAN, batch {args.batch_size}, lr {args.lr:g}"
        + (", gan_utils in float32" if args.float32 else "")
        + (f", float32 matmul precision '{args.matmul_precision}'" if args.matmul_precision else "")
        + (", gan_utils' output layers in float32" if args.float32_output_layers else "")
        + f"; one race per seed ({', '.join(map(str, args.seeds))}: each cell lists them in that order). "
        "Training seconds until the classifier reads back the asked-for digit in that share of 1,000 samples "
        f"(measured every {args.every:g} s of training, budget {args.budget:g} s each; '> B': not reached in B s).\n\n"
        + common.table(header, rows)
        + "\n\nLegibility after each turn (training seconds: legibility):\n\n"
        + "\n".join(
            f"- seed {seed}, {c.name}: " + ", ".join(f"{t:.0f}: {score:.3f}" for t, score in c.curve)
            for seed, contenders in races.items()
            for c in contenders
        )
    )
    common.report("time_to_legible", text, args)


def ratio(ours, seeds, threshold):
    """How many times as long the seed-style loop took: (ratio, True if only a lower bound) or (None, False)."""
    if threshold not in ours.reached:
        return None, False
    if threshold not in seeds.reached:
        return seeds.seconds / ours.reached[threshold], True  # the baseline never got there
    return seeds.reached[threshold] / ours.reached[threshold], False


def median_ratio(ratios):
    """The median of the per-seed ratios; a lower bound ('> ') if any of them is one."""
    if any(x is None for x, _ in ratios):
        return "-"
    return f"{'> ' * any(bound for _, bound in ratios)}{statistics.median(x for x, _ in ratios):.1f}x"


if __name__ == "__main__":
    main()
