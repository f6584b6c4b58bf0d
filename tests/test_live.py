import io

import IPython
import IPython.display
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from helpers import make_trainer
from PIL import Image

import gan_utils
from gan_utils.live import moving_average
from gan_utils.recipes import conditional_gan

pytestmark = pytest.mark.usefixtures("float32")  # the same numbers on every CPU (conftest.py)


def test_live_view_draws_headless_without_pyplot_figures(small_images):
    trainer = make_trainer()
    view = gan_utils.LiveView(gan_utils.make_noise(16, trainer.G.latent_dim, seed=0), nrow=4)
    trainer.train(small_images, batch_size=32, steps=20, every=10, callback=view)
    assert view.frames == 3  # start, step 10, step 20
    assert view.handle is None  # outside Jupyter nothing is displayed
    first = view.png
    assert Image.open(io.BytesIO(first)).format == "PNG"
    trainer.train(small_images, batch_size=32, steps=10, every=10, callback=view)
    assert view.frames == 5
    assert view.png != first  # new samples, longer curves
    assert view.seconds > 0
    assert plt.get_fignums() == []  # no pyplot figure, so nothing extra appears in a notebook


def test_live_view_updates_one_display_in_place(small_images, monkeypatch):
    """In Jupyter the first frame is displayed with a handle and later frames replace it."""
    calls = []

    class Handle:
        def update(self, image):
            calls.append(("update", image.data))

    def display(image, display_id):
        calls.append(("display", image.data))
        return Handle()

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", display)
    trainer = make_trainer()
    view = gan_utils.LiveView(gan_utils.make_noise(16, trainer.G.latent_dim, seed=0), nrow=4)
    trainer.train(small_images, batch_size=32, steps=20, every=10, callback=view)
    assert [kind for kind, _ in calls] == ["display", "update", "update"]
    assert calls[-1][1] == view.png


def test_plot_history_on_its_own(small_images):
    trainer = make_trainer()
    trainer.train(small_images, batch_size=32, steps=60)
    ax_loss, ax_score = gan_utils.plot_history(trainer.history)
    assert len(ax_loss.lines) == 4  # raw and smoothed, for each of the two losses
    plt.close("all")


def test_moving_average_is_the_mean_of_each_window():
    values = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    assert np.allclose(moving_average(values, 2), [1.5, 2.5, 3.5, 5.0])
    assert np.allclose(moving_average(values, 5), [3.2])
    assert len(moving_average(values[:0], 1)) == 0


def test_live_view_of_a_conditional_generator(small_images, mnist):
    trainer = conditional_gan(seed=0)
    rows = torch.arange(10).repeat_interleave(4)
    view = gan_utils.LiveView(gan_utils.make_noise(4, 64, seed=0).repeat(10, 1), labels=rows, nrow=4)
    trainer.train(small_images, mnist[1][:1024], batch_size=32, steps=5, every=5, callback=view)
    assert view.frames == 2
    assert Image.open(io.BytesIO(view.png)).format == "PNG"
