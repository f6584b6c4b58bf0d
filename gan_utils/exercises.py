"""The plumbing of the worked solutions (``notebooks/solutions/``): the measurements the "Try it yourself"
exercises print, as functions, so that the solution notebooks show the experiments and not the bookkeeping.

Each function measures what the lesson's exercise cell measures, in the same way (the same noise seeds,
the same classifier, the same windows of steps), so a solution's numbers can be set beside the lesson's.
The networks and their settings come from ``gan_utils.recipes``, as in the lessons.
"""

import _thread
import threading
from contextlib import contextmanager

import torch

from .quality import class_histogram, load_classifier, read, spread
from .utils import generate, make_noise


def check(condition, claim):
    """One self-check: fail with ``claim`` if ``condition`` is false, else print it as checked."""
    assert condition, f"self-check failed: {claim}"
    print(f"ok: {claim}")


# --- notebook 01 ---------------------------------------------------------------------------------------


def mean_scores(history, until, window=500):
    """The mean ``D(x)`` and ``D(G(z))`` over the ``window`` steps before step ``until`` (notebook 01's
    exercises use steps 9,500 to 10,000)."""
    steps = slice(max(0, until - window), until)
    return tuple(sum(history[key][steps]) / len(history[key][steps]) for key in ("D(x)", "D(G(z))"))


def digit_report(G, n=1000, seed=3, sure_at=0.9):
    """What notebook 01's exercises print about ``n`` samples of an MLP generator: ``sure``, the share the
    digit classifier reads as some digit with at least ``sure_at`` confidence, and ``counts``, how many it
    reads as each digit (real MNIST: about n / 10 each)."""
    confidence, digit = read(generate(G, make_noise(n, G.latent_dim, seed=seed)), load_classifier())[0].max(1)
    counts = torch.bincount(digit, minlength=10).tolist()
    return {"sure": (confidence >= sure_at).float().mean().item(), "counts": counts}


@contextmanager
def press_stop_after(seconds):
    """Inside this block, "press" Jupyter's stop button (■) once, after ``seconds``.

    The button interrupts the kernel's main thread, as Ctrl-C does in a terminal; ``_thread.interrupt_main``
    does the same from a timer, on every operating system. ``GANTrainer.train`` catches it and stops after
    the current step. Leaving the block early cancels the press.
    """
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


# --- notebook 02 ---------------------------------------------------------------------------------------


def train_mode_variety(G, n=100, seed=0):
    """How much two drawings of the same noise and labels differ in train mode (dropout on), as notebook
    02's third exercise measures it: the mean absolute pixel difference (0: no variety at all)."""
    z, y = make_noise(n, G.latent_dim, seed=seed), torch.arange(G.num_classes).repeat(n // G.num_classes + 1)[:n]
    was_training = G.training
    G.train()
    with torch.no_grad():
        difference = (G(z, y) - G(z, y)).abs().mean().item()
    G.train(was_training)
    return difference


# --- notebook 03 ---------------------------------------------------------------------------------------


def most_common_digit(images):
    """The share of ``images`` (grey digits in [-1, 1], any size) that the digit classifier reads as the
    most common digit: about 0.1 when every digit comes out equally often."""
    return class_histogram(images).max().item() / len(images)


def dcgan_variety(G, n=1000, seed=2, digits=True):
    """Notebook 03's ``variety``: ``spread`` of ``n`` samples and, for a digit generator, ``most_common_digit``."""
    fakes = generate(G, make_noise(n, G.latent_dim, seed=seed))
    result = {"spread": spread(fakes)}
    if digits:
        result["most_common_digit"] = most_common_digit(fakes)
    return result
