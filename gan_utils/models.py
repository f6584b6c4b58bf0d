"""The networks of the series.

Every generator follows one convention: ``G(z)`` takes noise shaped ``(N, latent_dim)`` and returns images shaped
``(N, C, H, W)`` with values in [-1, 1] (a ``tanh`` output). Conditional ones take the wanted class too,
``G(z, labels)`` with integer labels, and expose ``num_classes``. Every discriminator returns one *logit* per image:
a raw score, where positive means "looks real". The sigmoid that turns it into a probability lives inside the loss
(``BCEWithLogitsLoss``), which is more accurate numerically than a separate ``Sigmoid`` layer.

Each model keeps the arguments it was built with in ``self.config``, so that a checkpoint can rebuild it."""

import math

import torch
from torch import nn
from torch.nn import functional as F


def mlp(n_inputs, hidden_dim, n_outputs, dropout=0.0):
    """The body of every MLP here: two hidden layers with LeakyReLU, and dropout if asked."""
    return nn.Sequential(
        nn.Linear(n_inputs, hidden_dim),
        nn.LeakyReLU(0.2),  # a small slope for negative inputs keeps gradients flowing
        Dropout(dropout),
        nn.Linear(hidden_dim, hidden_dim),
        nn.LeakyReLU(0.2),
        Dropout(dropout),
        nn.Linear(hidden_dim, n_outputs),
    )


class Dropout(nn.Module):
    """``nn.Dropout``, only faster on a CPU: while training, zero each value with probability ``p`` and
    scale the rest by 1 / (1 - p), so that the expected output is unchanged. In ``mlp`` the values are
    the hidden units, right after each LeakyReLU. Why faster: drawing the random mask was the largest
    single cost of an MLP GAN's training step, and ``random_16bit`` draws it for under a quarter of
    ``nn.Dropout``'s time (docs/benchmarks.md)."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = random_16bit(x.shape, x.device) >= round(self.p * 2**16) - 2**15  # True with probability 1 - p
        return x * (keep.to(x.dtype) / (1 - self.p))


def random_16bit(shape, device=None):
    """Random 16-bit whole numbers, uniform from -32768 to 32767. The random-number generator's work is
    one draw per number it returns, so each 64-bit draw is cut into four 16-bit numbers."""
    n = math.prod(shape)
    draws = torch.randint(-(2**63), 2**63 - 1, ((n + 3) // 4,), dtype=torch.int64, device=device)
    return draws.view(torch.int16)[:n].view(shape)


class MLPGenerator(nn.Module):
    """Noise vector -> MLP -> a 28x28 image (notebook 01)."""

    def __init__(self, latent_dim=64, hidden_dim=256, image_shape=(1, 28, 28)):
        super().__init__()
        self.config = {"latent_dim": latent_dim, "hidden_dim": hidden_dim, "image_shape": tuple(image_shape)}
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.net = mlp(latent_dim, hidden_dim, math.prod(image_shape))

    def forward(self, z):
        images = torch.tanh(self.net(z))  # pixels in [-1, 1], the range of the real images
        return images.view(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """A 28x28 image -> MLP -> one logit: "real" if positive (notebook 01)."""

    def __init__(self, hidden_dim=256, dropout=0.3, image_shape=(1, 28, 28)):
        super().__init__()
        self.config = {"hidden_dim": hidden_dim, "dropout": dropout, "image_shape": tuple(image_shape)}
        # dropout: while training, a random 30% (by default) of D's hidden units are zeroed after each
        # LeakyReLU (not the pixels), so D cannot lean on a few features and overpower G too early
        self.net = mlp(math.prod(image_shape), hidden_dim, 1, dropout)

    def forward(self, x):
        return self.net(x.flatten(1)).squeeze(1)  # an MLP sees the image as one long vector


def glue_label(x, labels, num_classes=10):
    """``x`` flattened to one row per example, with the one-hot ``labels`` glued after it: how both conditional
    networks take the digit (notebook 02)."""
    one_hot = F.one_hot(labels, num_classes).to(x.dtype)  # 3 -> [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    return torch.cat([x.flatten(1), one_hot], dim=1)  # dim=1: the features; dim 0 is the batch


class ConditionalGenerator(nn.Module):
    """Noise vector + the digit you ask for -> an image of that digit (notebook 02).

    The label goes in as a one-hot vector glued to the noise, so the first layer has
    ``num_classes`` more inputs; the rest is the MLP generator of notebook 01."""

    def __init__(self, latent_dim=64, num_classes=10, hidden_dim=256, dropout=0.0, image_shape=(1, 28, 28)):
        super().__init__()
        self.config = {
            "latent_dim": latent_dim,
            "num_classes": num_classes,
            "hidden_dim": hidden_dim,
            "dropout": dropout,
            "image_shape": tuple(image_shape),
        }
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.image_shape = tuple(image_shape)
        self.net = mlp(latent_dim + num_classes, hidden_dim, math.prod(image_shape), dropout)

    def forward(self, z, labels):
        images = torch.tanh(self.net(glue_label(z, labels, self.num_classes)))
        return images.view(-1, *self.image_shape)


class ConditionalDiscriminator(nn.Module):
    """An image + the digit it should show -> one logit: "a real image of that digit" if positive.

    Given the label too, D rejects a well-drawn 7 that was supposed to be a 3, so G must
    draw the digit it was asked for (notebook 02). The label goes in twice:

    * as a one-hot vector glued to the pixels, like the generator's (the original cGAN);
    * at the end, as a learned vector for each digit, multiplied with the features D computed from the
      image: a "projection" (Miyato and Koyama, 2018) that scores how well the image fits that digit.
      Ten label inputs beside 784 pixels are easy for D to ignore; this term is not, and G learns to
      draw the asked-for digit sooner (docs/benchmarks.md). ``projection=False`` leaves it out."""

    def __init__(self, num_classes=10, hidden_dim=256, dropout=0.3, image_shape=(1, 28, 28), projection=True):
        super().__init__()
        self.config = {
            "num_classes": num_classes,
            "hidden_dim": hidden_dim,
            "dropout": dropout,
            "image_shape": tuple(image_shape),
            "projection": projection,
        }
        self.num_classes = num_classes
        self.net = mlp(math.prod(image_shape) + num_classes, hidden_dim, 1, dropout)
        self.label_vectors = nn.Embedding(num_classes, hidden_dim) if projection else None  # one row per digit

    def forward(self, x, labels):
        features = self.net[:-1](glue_label(x, labels, self.num_classes))  # every layer but the last
        score = self.net[-1](features).squeeze(1)  # "does it look real?"
        if self.label_vectors is not None:
            score = score + (self.label_vectors(labels) * features).sum(1)  # "does it look like this digit?"
        return score


class DCGANGenerator(nn.Module):
    """Noise -> transposed convolutions -> an image_size x image_size image (notebook 03).

    Each transposed convolution doubles the height and width and halves the channels:
    (latent_dim, 1, 1) -> (8w, 4, 4) -> (4w, 8, 8) -> ... -> (channels, image_size, image_size),
    where w = ``width`` (the seed's ngf). BatchNorm and ReLU after every layer but the last."""

    def __init__(self, latent_dim=100, channels=3, image_size=64, width=64):
        super().__init__()
        self.config = {"latent_dim": latent_dim, "channels": channels, "image_size": image_size, "width": width}
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        n_doublings = count_doublings(image_size)
        ch = width * 2**n_doublings
        layers = [nn.ConvTranspose2d(latent_dim, ch, 4, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU()]  # 1 -> 4
        for _ in range(n_doublings):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]  # no BatchNorm at the output
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z):
        return self.net(z.view(len(z), -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """An image -> strided convolutions -> one logit: the generator's mirror image (notebook 03).

    Each convolution halves the height and width and doubles the channels. BatchNorm and
    LeakyReLU(0.2) after every layer but the first (no BatchNorm on the input) and the last."""

    def __init__(self, channels=3, image_size=64, width=64):
        super().__init__()
        self.config = {"channels": channels, "image_size": image_size, "width": width}
        n_doublings = count_doublings(image_size)
        ch = width
        layers = [nn.Conv2d(channels, ch, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]  # no BatchNorm at the input
        for _ in range(n_doublings):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 4, 1, 0, bias=False)]  # 4x4 -> 1x1: one logit
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x):
        return self.net(x).view(-1)


def count_doublings(image_size):
    """The stride-2 layers between 4x4 and image_size / 2: 1 for 16x16, 2 for 32x32, 3 for 64x64."""
    if image_size < 16 or image_size & (image_size - 1):
        raise ValueError(f"image_size must be a power of two, 16 or more (32 or 64 in notebook 03), not {image_size}.")
    return int(math.log2(image_size)) - 3


def dcgan_init(module):
    """DCGAN's initialisation: weights from N(0, 0.02) (the paper; 0.02 is the standard deviation), and
    BatchNorm scales from N(1, 0.02) with shifts 0 (the reference code's; the paper does not say)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


MODELS = {
    cls.__name__: cls
    for cls in (
        MLPGenerator,
        MLPDiscriminator,
        ConditionalGenerator,
        ConditionalDiscriminator,
        DCGANGenerator,
        DCGANDiscriminator,
    )
}


def build_model(name, config):
    """Rebuild a model from its class name and ``config`` (as saved in a checkpoint)."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; this version of gan_utils knows {sorted(MODELS)}.")
    return MODELS[name](**config)
