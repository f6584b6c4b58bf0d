"""Training images per second for each notebook's model: gan_utils vs the seed-style loop.

For each of the three notebooks' models (notebook settings, MNIST data; the DCGAN at 32x32 on MNIST,
one channel), both loops train copies of the same networks in turns (A, B, A, B, ...; ``--seconds``
each, after a warm-up turn); the median and the spread (lowest-highest) of the turns are reported,
with the ratio of the medians. The seed-style loop is described in bench/common.py.

It also counts the FLOPs of one training step per image (torch.utils.flop_counter; each loop's
own step) and compares the achieved GFLOP/s with this machine's fp32 matrix-multiply peak, measured
here with a large ``torch.mm``.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/throughput.py [--seconds 10] [--rounds 5]
"""

import argparse
import statistics
import time

import common
import torch
from torch.utils.flop_counter import FlopCounterMode

from gan_utils.data import load_images, load_mnist


def matmul_peak(dtype=torch.float32, n=4096, repeats=5):
    """The best GFLOP/s of an n x n matrix product on this machine."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up
    best = min(timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def flops_per_image(step, batch_size):
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops() / batch_size


def images_per_second(train, steps, batch_size, seconds):
    """Run ``train(seconds)`` and return the images per second it trained on."""
    before = steps()
    took = timed(lambda: train(seconds))
    return (steps() - before) * batch_size / took


def compare(name, mnist, labels, seconds, rounds):
    """Images per second (one value per turn) and FLOPs per image of both loops for one notebook model."""
    build, image_size = common.NOTEBOOK_MODELS[name]
    trainer = build()
    batch_size = trainer.batch_size
    images = mnist if image_size == 28 else load_images("mnist", image_size)
    y = labels if hasattr(trainer.G, "num_classes") else None
    seed_loop = common.SeedStyleLoop(build(), batch_size, image_size)

    def ours(seconds):
        trainer.train(images, y, batch_size=batch_size, minutes=seconds / 60)

    contenders = {
        "gan_utils": (ours, lambda: trainer.step, lambda: trainer.train_step(images, y, batch_size)),
        "seed-style": (seed_loop.train, lambda: seed_loop.step, seed_loop.train_step),
    }
    flops = {key: flops_per_image(step, batch_size) for key, (_, _, step) in contenders.items()}
    rates = {key: [] for key in contenders}
    for train, steps, _ in contenders.values():
        images_per_second(train, steps, batch_size, min(2.0, seconds))  # warm-up
    for _ in range(rounds):
        for key, (train, steps, _) in contenders.items():
            rates[key].append(images_per_second(train, steps, batch_size, seconds))
    return batch_size, rates, flops


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of one turn")
    parser.add_argument("--rounds", type=int, default=5, help="turns of each loop per model")
    models = list(common.NOTEBOOK_MODELS)
    parser.add_argument("--models", nargs="*", choices=models, default=models)
    parser.add_argument("--matmul", type=int, default=4096, help="size of the matrices that measure the peak")
    common.add_docs_arguments(parser)
    args = parser.parse_args()

    peak = matmul_peak(n=args.matmul)
    peak_bf16 = matmul_peak(torch.bfloat16, n=args.matmul)
    print(f"matrix-multiply peak: fp32 {peak:.0f} GFLOP/s, bf16 {peak_bf16:.0f} GFLOP/s")
    mnist, labels = load_mnist()
    rows = []
    for name in args.models:
        batch_size, rates, flops = compare(name, mnist, labels, args.seconds, args.rounds)
        medians = {key: statistics.median(values) for key, values in rates.items()}
        spread = {key: f"{medians[key]:,.0f} ({min(v):,.0f}-{max(v):,.0f})" for key, v in rates.items()}
        achieved = {key: flops[key] * medians[key] / 1e9 for key in rates}
        rows.append(
            [
                name,
                batch_size,
                spread["gan_utils"],
                spread["seed-style"],
                f"{medians['gan_utils'] / medians['seed-style']:.1f}x",
                f"{flops['gan_utils'] / 1e6:,.1f} / {flops['seed-style'] / 1e6:,.1f}",
                *(f"{achieved[key]:,.0f} ({achieved[key] / peak:.0%})" for key in ("gan_utils", "seed-style")),
            ]
        )
        print(f"{name}: gan_utils {spread['gan_utils']} images/s, seed-style {spread['seed-style']}", flush=True)

    header = [
        "model",
        "batch",
        "gan_utils images/s (spread)",
        "seed-style images/s (spread)",
        "ratio",
        "MFLOP/image (gan_utils / seed-style)",
        "gan_utils GFLOP/s (% fp32 peak)",
        "seed-style GFLOP/s (% fp32 peak)",
    ]
    text = (
        f"Median of {args.rounds} interleaved turns of {args.seconds:g} s per loop and model (spread: lowest-highest "
        f"turn). Matrix-multiply peak measured in the same run (torch.mm, {args.matmul}x{args.matmul}): "
        f"fp32 {peak:.0f} GFLOP/s, bf16 {peak_bf16:.0f} GFLOP/s.\n\n" + common.table(header, rows)
    )
    common.report("throughput", text, args)


if __name__ == "__main__":
    main()
