"""Train the generators that ship with the package, so that a class can use them at once.

    python -m gan_utils.pretrain cgan [--minutes 12] [--seed 0]

writes ``gan_utils/pretrained/cgan_mnist.pt`` (the generator only, about 1 MB) and
prints its legibility. It trains notebook 02's conditional GAN, with the same
networks and settings, only for longer.
"""

import argparse
from pathlib import Path

from .checkpoints import pack_model, save_checkpoint
from .data import load_mnist
from .legibility import legibility, report
from .models import ConditionalDiscriminator, ConditionalGenerator
from .training import GANTrainer
from .utils import seed_everything

PRETRAINED_CGAN = Path(__file__).parent / "pretrained" / "cgan_mnist.pt"
CGAN_BATCH_SIZE = 256  # with lr=1e-3: the fastest to legible digits we measured (docs/benchmarks.md)


def conditional_gan(seed=0, checkpoint=None):
    """Notebook 02's conditional GAN: a generator, a discriminator and their trainer."""
    seed_everything(seed)
    G = ConditionalGenerator(latent_dim=64, num_classes=10, hidden_dim=256, dropout=0.2)
    D = ConditionalDiscriminator(num_classes=10, hidden_dim=256, dropout=0.3)
    return GANTrainer(G, D, lr=1e-3, betas=(0.5, 0.999), label_smoothing=0.1, seed=seed, checkpoint=checkpoint)


def pretrain_cgan(minutes, seed=0, path=PRETRAINED_CGAN):
    images, labels = load_mnist()
    trainer = conditional_gan(seed)
    trainer.train(images, labels, batch_size=CGAN_BATCH_SIZE, minutes=minutes)
    save_checkpoint({"generator": pack_model(trainer.G.cpu())}, path)
    print(f"Wrote {path} after {trainer.step:,} steps.")
    print(report(legibility(trainer.G)))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the generators that ship with gan_utils.")
    parser.add_argument("model", choices=["cgan"], help="cgan: notebook 02's conditional GAN on MNIST")
    parser.add_argument("--minutes", type=float, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pretrain_cgan(args.minutes, args.seed)


if __name__ == "__main__":
    main()
