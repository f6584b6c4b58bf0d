"""A figure that updates in place while a GAN trains.

``LiveView`` draws samples from a fixed batch of noise next to the loss curves and the discriminator's scores,
on a plain matplotlib ``Figure`` (not pyplot: no stray copy when the cell ends), as a PNG shown through one
IPython display handle that each update replaces: a single, final frame, and no flicker. Outside Jupyter it
draws but shows nothing; ``view.png`` holds the latest frame.
"""

import io
import time

import numpy as np
import PIL.Image
from matplotlib.figure import Figure

from .utils import generate, image_grid


class LiveView:
    """Pass it to ``GANTrainer.train(live=...)``, which redraws it every few seconds of training.
    ``seconds`` counts the time spent drawing.

    For a conditional generator, give the ``labels`` to ask of the fixed noise too.
    """

    def __init__(self, fixed_noise, labels=None, nrow=8):
        self.fixed_noise = fixed_noise
        self.labels = labels  # for a conditional generator: the digit asked of each noise vector
        self.nrow = nrow
        self.fig = Figure(figsize=(11, 4.5))
        # fixed margins: an automatic layout would double the time each frame takes to draw
        grid = self.fig.add_gridspec(2, 2, width_ratios=[1, 1.4], left=0.01, right=0.98, bottom=0.11, top=0.93)
        self.ax_samples = self.fig.add_subplot(grid[:, 0])
        self.ax_loss = self.fig.add_subplot(grid[0, 1])
        self.ax_score = self.fig.add_subplot(grid[1, 1], sharex=self.ax_loss)
        self.handle = None  # the IPython display handle, once shown
        self.png = None
        self.grids = []  # every sample grid drawn, for timeline and save_gif
        self.steps = []  # the training step of each grid
        self.seconds = 0.0

    def __call__(self, trainer):
        started = time.perf_counter()
        grid = image_grid(generate(trainer.generator, self.fixed_noise, self.labels), self.nrow)
        self.grids.append((grid * 255).round().astype(np.uint8))  # kept for the timelapse
        self.steps.append(trainer.step)
        self.ax_samples.clear()
        self.ax_samples.imshow(grid)
        self.ax_samples.set_title(f"Samples from fixed noise, step {trainer.step}")
        self.ax_samples.set_axis_off()
        plot_history(trainer.history, self.ax_loss, self.ax_score, equilibrium=(1 - trainer.label_smoothing) / 2)
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=72)
        self.png = buffer.getvalue()
        self.show()
        self.seconds += time.perf_counter() - started

    @property
    def frames(self):
        return len(self.grids)

    def timeline(self, n=6, size=2.5):
        """Show ``n`` of the sample grids drawn so far, evenly spaced from the first to the last and
        labelled with their step: the same noise, from static to digits, in one picture."""
        if not self.grids:
            raise ValueError("Nothing to show yet: pass this view to train(live=...) first.")
        import matplotlib.pyplot as plt

        picks = np.linspace(0, len(self.grids) - 1, min(n, len(self.grids))).round().astype(int)
        fig, axes = plt.subplots(1, len(picks), figsize=(size * len(picks), size + 0.3), squeeze=False)
        for ax, i in zip(axes[0], picks):
            ax.imshow(self.grids[i])
            ax.set_title(f"step {self.steps[i]:,}")
            ax.set_axis_off()
        plt.show()

    def save_gif(self, path, ms_per_frame=150):
        """Write the sample grids drawn so far as an animated GIF, one frame per update."""
        if not self.grids:
            raise ValueError("Nothing to save yet: pass this view to train(live=...) first.")
        frames = [PIL.Image.fromarray(grid) for grid in self.grids]
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
        return path

    def show(self):
        """Show the latest frame in the notebook, replacing the previous one."""
        self.handle = show_png(self.png, self.handle)


def show_png(png, handle=None):
    """Show the PNG bytes ``png`` in the notebook: a new image, or in place of ``handle``'s (no flicker).
    Returns the handle to pass next time; outside Jupyter it shows nothing and returns None."""
    from IPython import get_ipython
    from IPython.display import Image, display

    if get_ipython() is None:
        return None  # not in Jupyter: nowhere to show it
    if handle is None:
        return display(Image(png), display_id=True)
    handle.update(Image(png))
    return handle


def plot_history(history, ax_loss=None, ax_score=None, equilibrium=0.5):
    """Plot the losses and D(x), D(G(z)) per step; raw values faint, a moving average on top. A dashed line
    marks ``equilibrium``, where both scores end once G has learned the data: 0.5, or 0.45 with notebook
    01's label smoothing of 0.1 (its section 2)."""
    if ax_loss is None:
        import matplotlib.pyplot as plt

        _, (ax_loss, ax_score) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for ax, keys in ((ax_loss, ("d_loss", "g_loss")), (ax_score, ("D(x)", "D(G(z))"))):
        ax.clear()
        for key, color in zip(keys, ("tab:blue", "tab:orange")):
            values = np.asarray(history[key])
            every = max(1, len(values) // 2000)  # at most ~2,000 points per line keeps drawing fast
            window = max(1, len(values) // 50)
            steps = np.arange(len(values))
            ax.plot(steps[::every], values[::every], color=color, alpha=0.25, linewidth=0.5)
            ax.plot(steps[window - 1 :: every], moving_average(values, window)[::every], color=color, label=key)
        ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    ax_loss.set_ylabel("loss")
    ax_score.axhline(equilibrium, color="gray", linestyle="--", linewidth=1)  # where a fooled D ends up
    ax_score.set_ylim(0, 1)
    ax_score.set_ylabel("D's score")
    ax_score.set_xlabel("step")
    return ax_loss, ax_score


def moving_average(values, window):
    """The mean of each run of ``window`` consecutive values."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window
