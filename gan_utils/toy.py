"""A GAN small enough to see (notebook 01, section 1): numbers instead of images.

The data are single numbers drawn from two bumps (a mixture of two Gaussians); the generator turns four
noise numbers into one number, the discriminator scores one number. Both are tiny MLPs, trained by the
lesson's own ``GANTrainer`` (same updates, same label smoothing) in a few seconds on any laptop. Because
everything is one-dimensional, ``ToyView`` can draw all of it at once: the data's density, the generator's
(a histogram of its samples), D(x), and the best D for the generator of the moment,
D*(x) = 0.9 p_data / (p_data + p_g) (section 2 derives it; 0.9 is the real numbers' target, label smoothing).
"""

import io
import math

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from .live import show_png
from .models import mlp
from .training import GANTrainer
from .utils import seed_everything

GRID = np.linspace(-6, 6, 241)  # where the figure evaluates the densities and D


def two_bumps(n, centres=(-2.0, 2.0), width=0.5, seed=0):
    """``n`` numbers, half from each bump: Gaussians at ``centres`` with standard deviation ``width``.
    Shaped ``(n, 1)``: a batch of one-number "images"."""
    rng = torch.Generator().manual_seed(seed)
    centre = torch.tensor(centres)[torch.randint(len(centres), (n,), generator=rng)]
    return (centre + width * torch.randn(n, generator=rng)).unsqueeze(1)


def bumps_density(x, centres=(-2.0, 2.0), width=0.5):
    """p_data(x) of ``two_bumps``: the mean of the Gaussians' densities."""
    return sum(np.exp(-0.5 * ((x - c) / width) ** 2) / (width * math.sqrt(2 * math.pi)) for c in centres) / len(centres)


class ToyGenerator(nn.Module):
    """Noise numbers -> one number per example (notebook 01's MLP body, 64 units wide)."""

    def __init__(self, latent_dim=4, hidden_dim=64):
        super().__init__()
        self.latent_dim, self.image_shape = latent_dim, (1,)  # what GANTrainer asks of a generator
        self.net = mlp(latent_dim, hidden_dim, 1)

    def forward(self, z):
        return self.net(z)  # no tanh: the numbers are not pixels


class ToyDiscriminator(nn.Module):
    """One number -> one logit: "real" if positive."""

    def __init__(self, hidden_dim=64):
        super().__init__()
        self.net = mlp(1, hidden_dim, 1)

    def forward(self, x):
        return self.net(x).squeeze(1)


def toy_gan(seed=0, latent_dim=4, hidden_dim=64, lr=5e-4, batch_size=512):
    """The two tiny networks in a ``GANTrainer``: notebook 01's Adam (beta1 0.5) and label smoothing (0.1),
    a smaller step and larger batches (with notebook 01's 1e-3, our toy runs kept circling without settling). On the
    CPU in float32, where networks this small are fastest, and without the average generator: the figure
    shows the generator itself. 2,000 steps take about 5 seconds."""
    seed_everything(seed)  # the same starting weights every time
    G, D = ToyGenerator(latent_dim, hidden_dim), ToyDiscriminator(hidden_dim)
    settings = {"lr": lr, "label_smoothing": 0.1, "batch_size": batch_size, "seed": seed}
    return GANTrainer(G, D, **settings, device="cpu", bfloat16=False, ema=None)


def train(trainer, data, steps, view=None):
    """``trainer.train`` on one CPU thread, redrawing ``view`` twice a second. For networks this small a
    second thread only adds waiting: on a busy 2-core machine, two threads made the toy about 15 times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return trainer.train(data, steps=steps, live=view, redraw_seconds=0.5)
    finally:
        torch.set_num_threads(threads)  # the rest of the lesson gets its threads back


class ToyView:
    """Pass it to ``GANTrainer.train(live=...)``: draws the data's density and the generator's (a histogram of
    ``samples`` of its numbers, from the same noise every time), D(x) and D*(x), in place. ``shares`` keeps,
    for each frame, the share of the generator's numbers left and right of the bumps' middle: ``[0.5, 0.5]``
    covers both bumps, ``[1.0, 0.0]`` only the left one."""

    def __init__(self, centres=(-2.0, 2.0), width=0.5, samples=20_000, seed=0):
        self.centres, self.width, self.samples, self.seed = centres, width, samples, seed
        self.fig = Figure(figsize=(8, 4.6))
        self.ax_density, self.ax_score = self.fig.subplots(2, 1, sharex=True, gridspec_kw={"hspace": 0.08})
        self.handle, self.png, self.shares = None, None, []

    def __call__(self, trainer):
        z = torch.randn(self.samples, trainer.G.latent_dim, generator=torch.Generator().manual_seed(self.seed))
        with torch.no_grad():
            fakes = trainer.G(z).squeeze(1).numpy()
            d = torch.sigmoid(trainer.D(torch.tensor(GRID, dtype=torch.float32).unsqueeze(1))).numpy()
        middle = sum(self.centres) / len(self.centres)
        self.shares.append([float((fakes < middle).mean()), float((fakes >= middle).mean())])
        p_data = bumps_density(GRID, self.centres, self.width)
        step = GRID[1] - GRID[0]
        counts, edges = np.histogram(fakes, bins=len(GRID), range=(GRID[0] - step / 2, GRID[-1] + step / 2))
        p_g = counts / (len(fakes) * step)  # the histogram as a density, one bin per point of the grid
        smooth_p_g = np.convolve(p_g, np.ones(5) / 5, mode="same")  # so that D* does not jitter from bin to bin
        # D* is undefined (0 / 0) where neither real nor fake numbers go: left out there
        d_star = np.where(p_data + smooth_p_g > 0.02, 0.9 * p_data / np.maximum(p_data + smooth_p_g, 1e-12), np.nan)
        self.draw(trainer.step, p_data, edges, p_g, d, d_star)
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=72)
        self.png = buffer.getvalue()
        self.handle = show_png(self.png, self.handle)

    def draw(self, step, p_data, edges, p_g, d, d_star):
        ax = self.ax_density
        ax.clear()
        ax.fill_between(GRID, p_data, color="tab:blue", alpha=0.3, label="data: p_data")
        ax.stairs(p_g, edges, color="tab:orange", label="generator: p_g (histogram)")
        ax.set_ylim(0, 2.2 * p_data.max())  # room for a generator that piles twice the data's density on one bump
        ax.set(ylabel="density", title=f"A one-dimensional GAN, step {step:,}")
        ax.legend(loc="upper center", fontsize="small")
        ax = self.ax_score
        ax.clear()
        ax.plot(GRID, d, color="tab:green", label="D(x)")
        ax.plot(GRID, d_star, color="black", linestyle=":", label="D*(x) = 0.9 p_data / (p_data + p_g)")
        ax.axhline(0.45, color="gray", linestyle="--", linewidth=1)  # D* once p_g = p_data
        ax.set(ylim=(0, 1.05), xlim=(GRID[0], GRID[-1]), xlabel="x", ylabel="D's score")
        ax.legend(loc="upper center", fontsize="small")
