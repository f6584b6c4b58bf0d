"""How each notebook trains: one function per notebook, its networks and its trainer's settings.

Each recipe builds both networks from one seed (the same starting weights every time) and returns a ``GANTrainer``
ready to ``train``. The notebooks show and call these functions; ``tools/pretrain.py`` and ``bench/`` call the same
ones, so that what a notebook teaches, what ships pretrained and what is measured cannot drift apart.

Every recipe samples from an average of the generator's weights (``ema``, see ``GANTrainer``): the same training,
cleaner samples (docs/benchmarks.md, "time to quality"). ``ema=None`` turns it off."""

from .models import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
)
from .training import GANTrainer
from .utils import pick_device, seed_everything


def vanilla_gan(
    seed=0, checkpoint=None, hidden_dim=256, dropout=0.3, label_smoothing=0.1, ema=0.995, update_D=None, update_G=None
):
    """Notebook 01: the MLP GAN on MNIST. (The exercises change ``hidden_dim``, ``dropout`` or
    ``label_smoothing``; everything else stays the lesson's.) ``update_D`` and ``update_G``: the two updates
    each step makes, the student's own in the lesson (``GANTrainer``; default: ``gan_utils.training``'s)."""
    seed_everything(seed)  # the same starting weights every time
    G = MLPGenerator(latent_dim=64, hidden_dim=hidden_dim)
    D = MLPDiscriminator(hidden_dim=hidden_dim, dropout=dropout)
    # batch 256 with lr 1e-3: more images per second than batch 64 on a CPU, and a larger step to match
    return GANTrainer(
        G, D, lr=1e-3, betas=(0.5, 0.999), label_smoothing=label_smoothing, batch_size=256, seed=seed,
        checkpoint=checkpoint, ema=ema, update_D=update_D, update_G=update_G,
    )  # fmt: skip


def conditional_gan(seed=0, checkpoint=None, dropout=0.2, projection=True, ema=0.995):
    """Notebook 02: the conditional GAN on MNIST, with dropout in both networks. (The exercises turn
    the generator's ``dropout`` or the discriminator's ``projection`` off.)"""
    seed_everything(seed)
    G = ConditionalGenerator(latent_dim=64, num_classes=10, hidden_dim=256, dropout=dropout)
    D = ConditionalDiscriminator(num_classes=10, hidden_dim=256, dropout=0.3, projection=projection)
    # batch 256 with lr 1e-3: the fastest to legible digits of the settings we measured (docs/benchmarks.md)
    return GANTrainer(
        G, D, lr=1e-3, betas=(0.5, 0.999), label_smoothing=0.1, batch_size=256, seed=seed,
        checkpoint=checkpoint, ema=ema,
    )  # fmt: skip


def dcgan(seed=0, checkpoint=None, channels=3, image_size=32, ema=0.995, width=None, lr=None, batch_size=None):
    """Notebook 03: the DCGAN, for colour (CIFAR-10) or grey (``channels=1``: MNIST) images; the paper's Adam (beta1
    0.5), no label smoothing, and ``width``, ``lr`` and ``batch_size`` by default ``dcgan_settings()``'s."""
    default = dcgan_settings()
    width, lr, batch_size = width or default["width"], lr or default["lr"], batch_size or default["batch_size"]
    seed_everything(seed)
    G = DCGANGenerator(latent_dim=100, channels=channels, image_size=image_size, width=width)
    D = DCGANDiscriminator(channels=channels, image_size=image_size, width=width)
    return GANTrainer(G, D, lr=lr, betas=(0.5, 0.999), batch_size=batch_size, seed=seed, checkpoint=checkpoint, ema=ema)


def dcgan_settings(device=None):
    """Width, learning rate, batch size and most steps on ``device`` (default: the trainer's): the paper's 64, 2e-4
    and 64 on a GPU; on a CPU 32, 4e-4 and 32, a sixth of the step's cost, which raced best in its minutes, and at
    most 6,000 steps, where three seeds were at their best (docs/benchmarks.md)."""
    if str(device or pick_device()).startswith("cpu"):
        return {"width": 32, "lr": 4e-4, "batch_size": 32, "steps": 6000}
    return {"width": 64, "lr": 2e-4, "batch_size": 64, "steps": None}
