"""How much does the live figure slow training down?

Trains notebook 01's GAN in short rounds, alternating without and with a LiveView
(A, B, A, B, ...; the machine is shared and noisy, so only same-run ratios count),
and prints training steps per second for each and their ratio.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/live_view.py [--every 1000] [--seconds 20] [--rounds 3]
"""

import argparse
import statistics
import time

import torch

import gan_utils


def steps_per_second(trainer, images, seconds, view, every):
    first, started = trainer.step, time.perf_counter()
    trainer.train(images, batch_size=64, minutes=seconds / 60, callback=view, every=every)
    return (trainer.step - first) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=1000, help="steps between frames, as in notebook 01")
    parser.add_argument("--seconds", type=float, default=20, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    images, _ = gan_utils.load_mnist()
    gan_utils.seed_everything(0)
    G, D = gan_utils.MLPGenerator(latent_dim=64, hidden_dim=256), gan_utils.MLPDiscriminator(hidden_dim=256)
    trainer = gan_utils.GANTrainer(G, D, lr=5e-4, label_smoothing=0.1, device="cpu")
    view = gan_utils.LiveView(gan_utils.make_noise(64, 64, seed=0))
    plain, live = [], []
    for _ in range(args.rounds):
        plain.append(steps_per_second(trainer, images, args.seconds, None, args.every))
        live.append(steps_per_second(trainer, images, args.seconds, view, args.every))
    a, b = statistics.median(plain), statistics.median(live)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'':>22} {'median steps/s':>15} {'min':>8} {'max':>8}")
    print(f"{'without live view':>22} {a:15.1f} {min(plain):8.1f} {max(plain):8.1f}")
    print(f"{f'live view every {args.every}':>22} {b:15.1f} {min(live):8.1f} {max(live):8.1f}")
    print(f"ratio with/without: {b / a:.3f}; one frame takes {view.seconds / view.frames * 1000:.0f} ms")


if __name__ == "__main__":
    main()
