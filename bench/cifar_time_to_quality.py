"""How good are notebook 03's CIFAR-10 images after 1, 2, 5, 10, 20 and 30 minutes of training?

Trains notebook 03's DCGAN at 32x32 (``gan_utils.pretrain.dcgan``) on the CIFAR-10 training images
through ``gan_utils`` and, in the same run, through a seed-style loop: the same networks (the same
initial weights) and settings, fed the way seed 004 feeds them: torchvision's ``ImageFolder`` with
Resize, CenterCrop, ToTensor and Normalize per image and a ``DataLoader(num_workers=2)``, the seeds'
update order (see bench/common.py). The two take turns of at most ``--turn`` seconds of training, so
both see the same machine. When both have trained for a mark's minutes, the CIFAR-10 yardstick
(gan_utils/cifar_quality.py) reads ``--n`` samples of each: the Frechet distance (lower is better) and
the share of samples the classifier is confident about; that time is not counted as training. Prints the
table, the mark by which gan_utils reaches the seed-style loop's final distance, and the ratio; writes
them and a plot (docs/images/cifar_time_to_quality.png) to docs/benchmarks.md, and gan_utils' samples from
64 fixed noise vectors at each mark to docs/images/cifar_samples_<mark>min.png (shown in notebook 03).

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/cifar_time_to_quality.py [--marks 1 2 5 10 20 30] [--n 5000]
"""

import argparse
from pathlib import Path

import common
import torch
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.transforms import CenterCrop, Compose, Normalize, Resize, ToTensor
from torchvision.utils import save_image

from gan_utils.cifar_quality import cifar_quality, real_folder
from gan_utils.data import REPO_ROOT, load_images
from gan_utils.recipes import dcgan
from gan_utils.utils import denorm, generate, make_noise

PLOT = "images/cifar_time_to_quality.png"  # beside the results file
GRID = "images/cifar_samples_{:g}min.png"  # gan_utils' samples at each mark, for notebook 03


def seed_004_batches(folder, batch_size, num_workers=2):
    """Endless ``(images, labels)`` batches of a folder of colour images, loaded the way seed 004 loads them."""
    convert = Compose([Resize(32), CenterCrop(32), ToTensor(), Normalize((0.5,) * 3, (0.5,) * 3)])  # per image
    dataset = ImageFolder(folder, transform=convert)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, drop_last=True)
    while True:
        yield from loader


class CifarSeedStyleLoop(common.SeedStyleLoop):
    """The seeds' training loop (bench/common.py), fed by seed 004's data pipeline instead of MNIST."""

    def __init__(self, trainer, folder, batch_size):
        super().__init__(trainer, batch_size)
        self.batches = seed_004_batches(folder, batch_size)  # replaces the MNIST batches (never started)


class Contender(common.Contender):
    """One way of training, with its quality at each mark."""

    def __init__(self, name, train, G, steps, batch_size):
        super().__init__(name, train, steps, batch_size)
        self.G = G
        self.curve = []  # (training minutes, Frechet distance, confident share)

    def turn(self, seconds):
        rate = super().turn(seconds)
        print(f"{self.name:>10}: {self.seconds:7.1f} s  ({rate:,.0f} images/s)", flush=True)

    def measure(self, n, grid=None):
        result = cifar_quality(self.G, n=n)
        if grid:  # the same 64 noise vectors at every mark
            grid.parent.mkdir(parents=True, exist_ok=True)
            save_image(denorm(generate(self.G, make_noise(64, self.G.latent_dim, seed=0))), grid, padding=1)
        self.curve.append((self.seconds / 60, result["distance"], result["confident"]))
        minutes, distance, confident = self.curve[-1]
        print(f"{self.name:>10}: {minutes:5.2f} min  distance {distance:.3f}  confident {confident:.3f}", flush=True)
        return result


def race(args, folder):
    """Train both ways from the same initial weights, in turns, measuring both at each mark."""
    trainer, baseline = dcgan(args.seed), dcgan(args.seed)  # the same seed: the same initial weights
    for a, b in [(trainer.G, baseline.G), (trainer.D, baseline.D)]:
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    images = load_images(folder, image_size=32)
    seed_loop = CifarSeedStyleLoop(baseline, folder, args.batch_size)

    def train_gan_utils(seconds):
        trainer.train(images, batch_size=args.batch_size, minutes=seconds / 60)

    contenders = [
        Contender("gan_utils", train_gan_utils, trainer.generator, lambda: trainer.step, args.batch_size),
        Contender("seed-style", seed_loop.train, seed_loop.G, lambda: seed_loop.step, args.batch_size),
    ]
    for mark in args.marks:
        while any(c.seconds < 60 * mark for c in contenders):
            for c in contenders:
                if c.seconds < 60 * mark:
                    c.turn(min(args.turn, 60 * mark - c.seconds))
        grid = None if args.no_docs else Path(args.docs).parent / GRID.format(mark)
        results = [contenders[0].measure(args.n, grid), contenders[1].measure(args.n)]
    return contenders, results[0], len(images)


def plot(contenders, floor, path):
    """The Frechet distance against training minutes, both contenders, log-x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for c in contenders:
        minutes, distances, _ = zip(*c.curve)
        ax.plot(minutes, distances, marker="o", label=c.name)
    ax.axhline(floor, color="grey", linestyle="--", linewidth=1, label="real vs real (floor)")
    ax.set(
        xscale="log",
        xlabel="training minutes",
        ylabel="Frechet distance (lower is better)",
        title="Notebook 03's DCGAN on CIFAR-10: quality against training time",
    )
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:g}")  # 1, 10 rather than 10^0, 10^1
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marks", type=float, nargs="+", default=[1, 2, 5, 10, 20, 30], help="training minutes")
    parser.add_argument("--n", type=int, default=5000, help="samples the yardstick reads (default 5000)")
    parser.add_argument("--turn", type=float, default=60, help="seconds of training per turn, at most (default 60)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", help="a folder of training images (default: the JPEG copy of CIFAR-10)")
    common.add_docs_arguments(parser)
    args = parser.parse_args(argv)
    args.marks = sorted(args.marks)
    folder = REPO_ROOT / args.dataset if args.dataset else real_folder(train=True)

    contenders, quality, n_images = race(args, folder)
    ours, seeds = contenders
    target = seeds.curve[-1][1]  # the seed-style loop's final distance
    reached = next((mark for mark, (_, d, _) in zip(args.marks, ours.curve) if d <= target), None)
    verdict = (
        f"gan_utils reaches the seed-style loop's {args.marks[-1]:g}-minute distance ({target:.3f}) by "
        f"{reached:g} min: {args.marks[-1] / reached:.1f}x sooner (measured only at the marks)."
        if reached is not None
        else f"gan_utils does not reach the seed-style loop's {args.marks[-1]:g}-minute distance ({target:.3f})."
    )
    header = ["training min", *(f"{c.name} {what}" for c in contenders for what in ("distance", "confident"))]
    rows = [
        [f"{mark:g}", *(f"{value:.3f}" for c in contenders for value in c.curve[i][1:])]
        for i, mark in enumerate(args.marks)
    ]
    rows.append(["images/s", *(x for c in contenders for x in (f"{c.images_per_second():,.0f}", ""))])
    text = (
        f"Notebook 03's DCGAN at 32x32 on {n_images:,} training images of "
        f"{folder.name if args.dataset else 'CIFAR-10'}, batch {args.batch_size}, seed {args.seed}, turns of at "
        f"most {args.turn:g} s. Frechet distance to the real test images and share of confident samples, "
        f"{args.n:,} samples, after each mark's training minutes (gan_utils/cifar_quality.py). "
        f"Real vs real (floor): {quality['floor']:.3f}; real test images confident: {quality['real_confident']:.3f}."
        f"\n\n{common.table(header, rows)}\n\n{verdict}\n\n![Frechet distance against training minutes]({PLOT})\n"
    )
    common.report("cifar_time_to_quality", text, args)
    if not args.no_docs:
        plot(contenders, quality["floor"], Path(args.docs).parent / PLOT)


if __name__ == "__main__":
    main()
