"""Measure a saved generator with its yardstick (gan_utils.quality) and print the figures.

    python tools/measure.py checkpoints/conditional_gan.pt      # digits: histogram, legibility, distance
    python tools/measure.py checkpoints/dcgan.pt --n 5000       # colour: CIFAR-10's yardstick

A grey generator is read by the digit classifier (a conditional one is also asked for every digit: its
legibility, per digit too), a colour one by the CIFAR-10 classifier. The exit status is 2, with the reason,
for a checkpoint or classifier that cannot be read.
"""

import argparse

from gan_utils import quality
from gan_utils.checkpoints import load_generator
from gan_utils.utils import pick_device


def measure(G, n=5000, seed=0, classifier=None):
    """The yardstick's report for ``G``, as text."""
    if G.image_shape[0] == 3:
        return quality.report(quality.cifar_quality(G, n, seed, quality.load_classifier("cifar10", classifier)))
    text = quality.report(quality.mnist_quality(G, n, seed, quality.load_classifier("mnist", classifier)))
    if hasattr(G, "num_classes"):  # the notebook 02 figures: legibility of 100 of each digit, and collapse
        result = quality.legibility(G, seed=seed, classifier=quality.load_classifier("mnist", classifier))
        shares = "  ".join(f"{digit}: {share:.0%}" for digit, share in enumerate(result["per_digit"]))
        text += f"\nlegible per digit (100 of each): {shares}"
        text += "\nsamples all alike (spread under 0.05): " + (", ".join(map(str, result["collapsed"])) or "none")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description="Measure a saved generator with its yardstick (see the module's doc).")
    parser.add_argument("checkpoint", help="a checkpoint with a generator, e.g. checkpoints/dcgan.pt")
    parser.add_argument("--n", type=int, default=5000, help="how many samples to read (default 5000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classifier", help="the classifier's weights (default: the shipped one)")
    args = parser.parse_args(argv)
    try:
        print(measure(load_generator(args.checkpoint, device=pick_device()), args.n, args.seed, args.classifier))
    except (FileNotFoundError, ValueError) as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
