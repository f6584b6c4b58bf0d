"""Seconds per DCGAN training step on this machine, at 32x32 and 64x64 (notebook 03's compute table).

Times GANTrainer.train on random images (the arithmetic does not depend on the pixels), batch 64,
width 64, 3 channels, after a warm-up; the set-ups alternate (A, B, A, B, ...) and the median of each
is reported, with minutes per CIFAR-10 epoch (782 steps). On a CPU with bfloat16 instructions, where
GANTrainer computes in bfloat16 by default, float32 is timed too.

    .venv/bin/python bench/dcgan_step_time.py [--steps 10] [--rounds 3]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars between the lines of the table (read at import)

import torch  # noqa: E402

import gan_utils  # noqa: E402
from gan_utils.training import has_fast_bfloat16  # noqa: E402


def seconds_per_step(trainer, images, steps):
    started = time.perf_counter()
    trainer.train(images, batch_size=64, steps=steps)
    return (time.perf_counter() - started) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    precisions = ["bfloat16", "float32"] if has_fast_bfloat16(torch.device("cpu")) else ["float32"]
    setups = {}
    for size in (32, 64):
        for precision in precisions:
            G = gan_utils.DCGANGenerator(latent_dim=100, channels=3, image_size=size, width=64)
            D = gan_utils.DCGANDiscriminator(channels=3, image_size=size, width=64)
            trainer = gan_utils.GANTrainer(G, D, device="cpu", bfloat16=precision == "bfloat16")
            setups[size, precision] = (trainer, torch.rand(512, 3, size, size) * 2 - 1)
            seconds_per_step(*setups[size, precision], 2)  # warm-up
    times = {key: [] for key in setups}
    for _ in range(args.rounds):
        for key, (trainer, images) in setups.items():
            times[key].append(seconds_per_step(trainer, images, args.steps))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 64, width 64")
    print(f"median of {args.rounds} rounds of {args.steps} steps")
    print(f"{'size':>6} {'precision':>9} {'s/step':>7} {'min/epoch':>10}")
    for (size, precision), values in times.items():
        median = statistics.median(values)
        print(f"{size:>3}x{size:<3}{precision:>9} {median:7.3f} {median * 782 / 60:10.1f}")
    for precision in precisions:
        ratio = statistics.median(times[64, precision]) / statistics.median(times[32, precision])
        print(f"{precision}: 64x64 / 32x32 = {ratio:.1f}x")
    if len(precisions) == 2:
        for size in (32, 64):
            ratio = statistics.median(times[size, "float32"]) / statistics.median(times[size, "bfloat16"])
            print(f"{size}x{size}: float32 / bfloat16 = {ratio:.1f}x")


if __name__ == "__main__":
    main()
