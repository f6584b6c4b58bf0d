"""Why notebook 02's networks are smaller than the seed's: legibility after the same training time.

Seed 000's conditional GAN has three hidden layers in each network (G: 256, 512, 1024 units; D: 1024,
512, 256) and dropout 0.5 after every hidden layer of both. Notebook 02 uses notebook 01's body (two
hidden layers of 256) with dropout 0.2 in G and 0.3 in D. This script trains both pairs with the same
loop and the same settings (notebook 02's: Adam lr 1e-3, betas (0.5, 0.999), batch 256, label smoothing
0.1, ``GANTrainer``), both with the seed's way of giving D the label (glued to the pixels, so notebook
02's discriminator without its projection: this compares sizes only), in turns of ``--every`` seconds, so
that both see the same machine, and measures legibility (1,000 samples, the shipped classifier) after
every turn.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/cgan_seed_networks.py [--budget 120] [--every 30]
"""

import argparse
import math

import common
import torch
from torch import nn

import gan_utils
from gan_utils.data import load_mnist
from gan_utils.legibility import legibility
from gan_utils.recipes import conditional_gan


def seed_mlp(sizes, dropout):
    """Linear layers of ``sizes`` with LeakyReLU(0.2) and dropout between them, as seed 000 writes them."""
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2), gan_utils.models.Dropout(dropout)]
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


class SeedGenerator(nn.Module):
    """Seed 000's generator: noise + one-hot digit -> 256 -> 512 -> 1024 -> 784, dropout 0.5."""

    def __init__(self, latent_dim=64, num_classes=10):
        super().__init__()
        self.latent_dim, self.num_classes, self.image_shape = latent_dim, num_classes, (1, 28, 28)
        self.net = seed_mlp([latent_dim + num_classes, 256, 512, 1024, 784], 0.5)

    def forward(self, z, labels):
        y = nn.functional.one_hot(labels, self.num_classes).to(z.dtype)
        return torch.tanh(self.net(torch.cat([z, y], 1))).view(-1, *self.image_shape)


class SeedDiscriminator(nn.Module):
    """Seed 000's discriminator: image + one-hot digit -> 1024 -> 512 -> 256 -> one logit, dropout 0.5."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.net = seed_mlp([784 + num_classes, 1024, 512, 256, 1], 0.5)

    def forward(self, x, labels):
        y = nn.functional.one_hot(labels, self.num_classes).to(x.dtype)
        return self.net(torch.cat([x.flatten(1), y], 1)).squeeze(1)


def seed_networks(seed=0):
    """The seed's networks in notebook 02's trainer and settings."""
    lesson = conditional_gan(seed)  # for its settings
    gan_utils.seed_everything(seed)
    G, D = SeedGenerator(), SeedDiscriminator()
    settings = lesson.opt_G.param_groups[0]
    return gan_utils.GANTrainer(
        G,
        D,
        settings["lr"],
        settings["betas"],
        label_smoothing=0.1,
        seed=seed,
        batch_size=lesson.batch_size,
        ema=lesson.ema,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120, help="training seconds for each pair")
    parser.add_argument("--every", type=float, default=30, help="seconds per turn")
    parser.add_argument("--seed", type=int, default=0)
    common.add_docs_arguments(parser)
    args = parser.parse_args()
    images, labels = load_mnist()
    lesson = conditional_gan(args.seed, projection=False)  # the seed's conditioning, the lesson's sizes
    contenders = {"notebook 02": lesson, "seed 000": seed_networks(args.seed)}
    curves = {name: [] for name in contenders}
    for turn in range(math.ceil(args.budget / args.every)):
        for name, trainer in contenders.items():
            trainer.train(images, labels, minutes=args.every / 60)  # the recipe's batch size
            score = legibility(trainer.generator, n_per_digit=100, seed=args.seed)["overall"]
            curves[name].append(score)
            print(f"{name:>11}: {(turn + 1) * args.every:5.0f} s, {trainer.step:6,} steps, legibility {score:.3f}")
    params = {name: sum(p.numel() for p in t.G.parameters()) for name, t in contenders.items()}
    steps = {name: t.step for name, t in contenders.items()}
    header = [
        "networks",
        "G parameters",
        "steps",
        *[f"{(i + 1) * args.every:g} s" for i in range(len(curves["seed 000"]))],
    ]
    rows = [
        [name, f"{params[name]:,}", f"{steps[name]:,}", *[f"{s:.3f}" for s in curve]] for name, curve in curves.items()
    ]
    text = (
        f"Notebook 02's networks against seed 000's, same loop and settings (lr 1e-3, "
        f"batch {contenders['notebook 02'].batch_size}, "
        f"label smoothing 0.1), seed {args.seed}, turns of {args.every:g} s: legibility of 1,000 samples after each "
        "turn's training seconds.\n\n" + common.table(header, rows)
    )
    common.report("cgan_seed_networks", text, args)


if __name__ == "__main__":
    main()
