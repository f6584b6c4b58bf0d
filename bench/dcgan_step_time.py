"""Seconds per DCGAN training step on this machine, at 32x32 and 64x64 (notebook 03's compute table).

Times GANTrainer.train on random images (the arithmetic does not depend on the pixels), batch 64,
width 64, 3 channels, after a warm-up; 32x32 and 64x64 rounds alternate (A, B, A, B, ...) and the
median of each is reported, with minutes per CIFAR-10 epoch (782 steps).

    .venv/bin/python bench/dcgan_step_time.py [--steps 10] [--rounds 3]
"""

import argparse
import statistics
import time

import torch

import gan_utils


def seconds_per_step(trainer, images, steps):
    started = time.perf_counter()
    trainer.train(images, batch_size=64, steps=steps)
    return (time.perf_counter() - started) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setups = {}
    for size in (32, 64):
        G = gan_utils.DCGANGenerator(latent_dim=100, channels=3, image_size=size, width=64)
        D = gan_utils.DCGANDiscriminator(channels=3, image_size=size, width=64)
        setups[size] = (gan_utils.GANTrainer(G, D, device="cpu"), torch.rand(512, 3, size, size) * 2 - 1)
        seconds_per_step(*setups[size], 2)  # warm-up
    times = {size: [] for size in setups}
    for _ in range(args.rounds):
        for size, (trainer, images) in setups.items():
            times[size].append(seconds_per_step(trainer, images, args.steps))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 64, width 64")
    print(f"{'size':>6} {'s/step':>8} {'min/epoch':>10}   (median of {args.rounds} rounds of {args.steps} steps)")
    for size, values in times.items():
        median = statistics.median(values)
        print(f"{size:>3}x{size:<3}{median:8.3f} {median * 782 / 60:10.1f}")
    print(f"64x64 / 32x32: {statistics.median(times[64]) / statistics.median(times[32]):.1f}x")


if __name__ == "__main__":
    main()
