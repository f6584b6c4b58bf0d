"""gan_utils against the seed-style loop (bench/harness.py): the same networks, initial weights and settings,
trained in alternating turns on the same machine. Three races, each writing its own table:

- ``throughput``: training images per second of each notebook's model (MNIST; the DCGAN at 32x32 on MNIST), the
  median of ``--rounds`` turns of ``--seconds`` after a warm-up turn, the FLOPs of one step per image
  (torch.utils.flop_counter) and the GFLOP/s reached against this machine's matrix-multiply peak (a large
  ``torch.mm``, measured in the same run);
- ``legible``: notebook 02's cGAN, legibility (1,000 samples) after every ``--every`` seconds of training, the
  training seconds to 0.80, 0.90 and 0.95, one race per seed (``--seeds``: where a run first crosses 0.95 moves
  by tens of seconds from seed to seed), each ratio and their median;
- ``cifar10``: notebook 03's DCGAN on the JPEG copy of CIFAR-10, CIFAR-10's yardstick (Frechet distance and
  confident share of ``--n`` samples) after each mark's training minutes, the mark by which gan_utils reaches the
  seed-style loop's final distance, a plot (docs/images/cifar_time_to_quality.png) and gan_utils' samples
  from 64 fixed noise vectors at each mark (docs/images/cifar_samples_<mark>min.png, shown in notebook 03).

Measuring is not counted as training time.

    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.seed_race throughput [--seconds 10] [--rounds 5]
    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.seed_race legible [--budget 600] [--every 10]
    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.seed_race cifar10 [--marks 1 2 5 10 20 30] [--n 5000]
"""

import argparse
import statistics
from pathlib import Path

import torch
from torchvision.utils import save_image

from bench import harness
from gan_utils.quality import load_classifier
from gan_utils.utils import denorm, generate, make_noise

THRESHOLDS = (0.80, 0.90, 0.95)
PLOT = "images/cifar_time_to_quality.png"  # beside the results file
GRID = "images/cifar_samples_{:g}min.png"  # gan_utils' samples at each mark, for notebook 03


def contenders(model, seed=0, **changes):
    """gan_utils and the seed-style loop, from the same recipe and seed: the same initial weights."""
    images, labels = harness.data(model)
    ours = harness.Contender("gan_utils", harness.tweak(harness.recipe(model, seed), **changes), images, labels)
    return [ours, harness.Contender("seed-style", harness.seed_style(model, seed, **changes))]


def throughput(args):
    peak, peak_bf16 = (harness.matmul_peak(dtype, n=args.matmul) for dtype in (torch.float32, torch.bfloat16))
    print(f"matrix-multiply peak: fp32 {peak:.0f} GFLOP/s, bf16 {peak_bf16:.0f} GFLOP/s")
    rows = []
    for model in args.models:
        race = contenders(model)
        flops = [harness.flops_per_image(c) for c in race]
        harness.turns(race, args.seconds, args.rounds)
        spread = [f"{c.median_rate():,.0f} ({min(c.rates[1:]):,.0f}-{max(c.rates[1:]):,.0f})" for c in race]
        achieved = [f * c.median_rate() / 1e9 for f, c in zip(flops, race)]
        rows.append(
            [
                harness.RECIPES[model][0],
                race[0].batch_size,
                *spread,
                f"{race[0].median_rate() / race[1].median_rate():.1f}x",
                f"{flops[0] / 1e6:,.1f} / {flops[1] / 1e6:,.1f}",
                *(f"{gflops:,.0f} ({gflops / peak:.0%})" for gflops in achieved),
            ]
        )
    header = ["model", "batch", "gan_utils images/s (spread)", "seed-style images/s (spread)", "ratio"]
    header += ["MFLOP/image (gan_utils / seed-style)", "gan_utils GFLOP/s (% fp32 peak)"]
    header += ["seed-style GFLOP/s (% fp32 peak)"]
    text = (
        f"Median of {args.rounds} interleaved turns of {args.seconds:g} s per loop and model (spread: lowest-highest "
        f"turn). Matrix-multiply peak measured in the same run (torch.mm, {args.matmul}x{args.matmul}): "
        f"fp32 {peak:.0f} GFLOP/s, bf16 {peak_bf16:.0f} GFLOP/s.\n\n" + harness.table(header, rows)
    )
    harness.report("throughput", text, args)


def reached(contender, threshold):
    point = harness.first_reaching(contender.curve, "legible", threshold, higher_is_better=True)
    return point and point["seconds"]


def ratio(ours, seeds, threshold):
    """How many times as long the seed-style loop took: (ratio, True if only a lower bound) or (None, False)."""
    mine, theirs = reached(ours, threshold), reached(seeds, threshold)
    if mine is None:
        return None, False
    return (theirs or seeds.seconds) / mine, theirs is None  # a baseline that never got there: at least this


def median_ratio(ratios):
    """The median of the per-seed ratios; a lower bound ('> ') if any of them is one."""
    if any(x is None for x, _ in ratios):
        return "-"
    return f"{'> ' * any(bound for _, bound in ratios)}{statistics.median(x for x, _ in ratios):.1f}x"


def legible(args):
    def turn(contender):
        contender.turn(min(args.every, args.budget - contender.seconds))
        contender.measure(legible=harness.legible)

    races = {}
    for seed in args.seeds:
        print(f"seed {seed}", flush=True)
        races[seed] = race = contenders("02", seed)
        harness.race(race, turn, lambda c: c.seconds >= args.budget or all(reached(c, t) for t in THRESHOLDS))

    def seconds(c, threshold):
        return f"{reached(c, threshold):.0f}" if reached(c, threshold) else f"> {c.seconds:.0f}"

    rows = []
    for threshold in THRESHOLDS:
        ratios = [ratio(*race, threshold) for race in races.values()]
        each = ", ".join(f"{'> ' * bound}{x:.1f}x" if x is not None else "-" for x, bound in ratios)
        row = [", ".join(seconds(race[i], threshold) for race in races.values()) for i in (0, 1)]
        rows.append([f"{threshold:.2f}", *row, each, median_ratio(ratios)])
    rows.append(["images/s", *(", ".join(f"{r[i].images_per_second():,.0f}" for r in races.values()) for i in (0, 1))])
    rows[-1] += ["", ""]
    header = ["legibility", "gan_utils (s)", "seed-style (s)", "seed-style / gan_utils", "median"]
    curves = "\n".join(
        f"- seed {seed}, {c.name}: " + ", ".join(f"{p['seconds']:.0f}: {p['legible']:.3f}" for p in c.curve)
        for seed, race in races.items()
        for c in race
    )
    text = (
        f"Notebook 02's cGAN, batch {races[args.seeds[0]][0].batch_size}; one race per seed "
        f"({', '.join(map(str, args.seeds))}: each cell lists them in that order). Training seconds until the "
        "classifier reads back the asked-for digit in that share of 1,000 samples (measured every "
        f"{args.every:g} s of training, budget {args.budget:g} s each; '> B': not reached in B s).\n\n"
        f"{harness.table(header, rows)}\n\nLegibility after each turn (training seconds: legibility):\n\n{curves}"
    )
    harness.report("time_to_legible", text, args)


def cifar10(args):
    race = contenders("03-cifar10", batch_size=64)
    last = {}

    def quality(G):
        last.update(harness.cifar_quality(G, n=args.n))
        return {"distance": last["distance"], "confident": last["confident"]}

    for mark in args.marks:
        end = 60 * mark
        harness.race(
            race, lambda c, end=end: c.turn(min(args.turn, end - c.seconds)), lambda c, end=end: c.seconds >= end
        )
        for c in race:
            c.measure(quality=quality)
        if not args.no_docs:  # the same 64 noise vectors at every mark
            grid = Path(args.docs).parent / GRID.format(mark)
            grid.parent.mkdir(parents=True, exist_ok=True)
            G = race[0].trainer.generator
            save_image(denorm(generate(G, make_noise(64, G.latent_dim, seed=0))), grid, padding=1)
    ours, seeds = race
    target = seeds.curve[-1]["distance"]  # the seed-style loop's final distance
    first = harness.first_reaching(ours.curve, "distance", target, higher_is_better=False)
    mark = first and args.marks[ours.curve.index(first)]
    verdict = (
        f"gan_utils reaches the seed-style loop's {args.marks[-1]:g}-minute distance ({target:.3f}) by {mark:g} min: "
        f"{args.marks[-1] / mark:.1f}x sooner (measured only at the marks)."
        if first
        else f"gan_utils does not reach the seed-style loop's {args.marks[-1]:g}-minute distance ({target:.3f})."
    )
    header = ["training min", *(f"{c.name} {what}" for c in race for what in ("distance", "confident"))]
    rows = [
        [f"{m:g}", *(f"{c.curve[i][k]:.3f}" for c in race for k in ("distance", "confident"))]
        for i, m in enumerate(args.marks)
    ]
    rows.append(["images/s", *(x for c in race for x in (f"{c.images_per_second():,.0f}", ""))])
    text = (
        f"Notebook 03's DCGAN at 32x32 on {len(ours.images):,} training images of "
        f"CIFAR-10, batch 64, seed 0, turns of at most "
        f"{args.turn:g} s. Frechet distance to the real test images and share of confident samples, {args.n:,} "
        f"samples, after each mark's training minutes (CIFAR-10's yardstick). Real vs real (floor): "
        f"{last['floor']:.3f}; real test images confident: {last['real_confident']:.3f}.\n\n"
        f"{harness.table(header, rows)}\n\n{verdict}\n\n![Frechet distance against training minutes]({PLOT})\n"
    )
    harness.report("cifar_time_to_quality", text, args)
    if not args.no_docs:
        plot(race, last["floor"], Path(args.docs).parent / PLOT)


def plot(race, floor, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for c in race:
        ax.plot([p["seconds"] / 60 for p in c.curve], [p["distance"] for p in c.curve], marker="o", label=c.name)
    ax.axhline(floor, color="grey", linestyle="--", linewidth=1, label="real vs real (floor)")
    ax.set(xscale="log", xlabel="training minutes", ylabel="Frechet distance (lower is better)")
    ax.set_title("Notebook 03's DCGAN on CIFAR-10: quality against training time")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:g}")  # 1, 10 rather than 10^0, 10^1
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    races = parser.add_subparsers(dest="race", required=True)
    one = races.add_parser("throughput", help="images per second of each notebook's model")
    one.add_argument("--seconds", type=float, default=10, help="length of one turn")
    one.add_argument("--rounds", type=int, default=5, help="turns of each loop per model, after a warm-up turn")
    one.add_argument("--models", nargs="+", choices=["01", "02", "03"], default=["01", "02", "03"])
    one.add_argument("--matmul", type=int, default=4096, help="size of the matrices that measure the peak")
    two = races.add_parser("legible", help="notebook 02's cGAN: training seconds to legible digits")
    two.add_argument("--budget", type=float, default=600, help="training seconds each, at most (default 600)")
    two.add_argument("--every", type=float, default=10, help="seconds of training between measurements")
    two.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="one race per seed (default 0 1 2)")
    three = races.add_parser("cifar10", help="notebook 03's DCGAN on CIFAR-10: quality after each mark's minutes")
    three.add_argument("--marks", type=float, nargs="+", default=[1, 2, 5, 10, 20, 30], help="training minutes")
    three.add_argument("--n", type=int, default=5000, help="samples the yardstick reads (default 5000)")
    three.add_argument("--turn", type=float, default=60, help="seconds of training per turn, at most (default 60)")
    for sub in (one, two, three):
        harness.add_docs_arguments(sub)
    args = harness.parse(parser, argv, __spec__.name)
    if args.race != "throughput":
        load_classifier()  # before the clocks start
    args.marks = sorted(getattr(args, "marks", []))
    {"throughput": throughput, "legible": legible, "cifar10": cifar10}[args.race](args)


if __name__ == "__main__":
    main()
