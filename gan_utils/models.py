"""The networks of the series.

Every generator follows one convention: ``G(z)`` takes noise shaped
``(N, latent_dim)`` and returns images shaped ``(N, C, H, W)`` with values in
[-1, 1] (a ``tanh`` output). Every discriminator returns one *logit* per image:
a raw score, where positive means "looks real". The sigmoid that turns it into
a probability lives inside the loss (``BCEWithLogitsLoss``), which is more
accurate numerically than a separate ``Sigmoid`` layer.

Each model keeps the arguments it was built with in ``self.config``, so a
checkpoint can rebuild it (see ``build_model``).
"""

from torch import nn


class MLPGenerator(nn.Module):
    """Noise vector -> two hidden layers -> a 28x28 image (notebook 01)."""

    def __init__(self, latent_dim=64, hidden_dim=256, image_shape=(1, 28, 28)):
        super().__init__()
        self.config = {"latent_dim": latent_dim, "hidden_dim": hidden_dim, "image_shape": tuple(image_shape)}
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        n_pixels = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim),
            nn.LeakyReLU(0.2),  # a small slope for negative inputs keeps gradients flowing
            nn.Linear(hidden_dim, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, n_pixels),
            nn.Tanh(),  # pixels in [-1, 1], the same range as the normalised real images
        )

    def forward(self, z):
        return self.net(z).view(-1, *self.image_shape)


class MLPDiscriminator(nn.Module):
    """A 28x28 image -> two hidden layers -> one logit: "real" if positive (notebook 01)."""

    def __init__(self, hidden_dim=256, dropout=0.3, image_shape=(1, 28, 28)):
        super().__init__()
        self.config = {"hidden_dim": hidden_dim, "dropout": dropout, "image_shape": tuple(image_shape)}
        n_pixels = image_shape[0] * image_shape[1] * image_shape[2]
        self.net = nn.Sequential(
            nn.Flatten(),  # an MLP sees the image as one long vector of pixels
            nn.Linear(n_pixels, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),  # random blind spots keep D from overpowering G too early
            nn.Linear(hidden_dim, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, 1),  # a logit, no sigmoid: the loss applies it
        )

    def forward(self, x):
        return self.net(x).squeeze(1)


MODELS = {cls.__name__: cls for cls in (MLPGenerator, MLPDiscriminator)}


def build_model(name, config):
    """Rebuild a model from its class name and ``config`` (as saved in a checkpoint)."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; this version of gan_utils knows {sorted(MODELS)}.")
    return MODELS[name](**config)
