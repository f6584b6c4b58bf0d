import matplotlib.pyplot as plt
import numpy as np
import pytest
from helpers import make_trainer

import gan_utils

pytestmark = pytest.mark.usefixtures("float32")  # the same numbers on every CPU (conftest.py)


def shown_figure(view, monkeypatch, **kwargs):
    """Call view.timeline and return the figure it showed."""
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    view.timeline(**kwargs)
    assert len(shown) == 1
    return shown[0]


def test_timeline_shows_evenly_spaced_grids_labelled_with_their_step(small_images, monkeypatch):
    trainer = make_trainer()
    view = gan_utils.LiveView(gan_utils.make_noise(4, trainer.G.latent_dim, seed=0), nrow=2)
    trainer.train(small_images, batch_size=32, steps=50, every=5, callback=view)
    assert view.steps == list(range(0, 51, 5))  # one grid per callback, 11 in all
    fig = shown_figure(view, monkeypatch, n=6)
    assert [ax.get_title() for ax in fig.axes] == [f"step {s}" for s in (0, 10, 20, 30, 40, 50)]
    for ax, i in zip(fig.axes, (0, 2, 4, 6, 8, 10)):
        assert np.array_equal(ax.images[0].get_array(), view.grids[i])  # the grid drawn at that step
    plt.close("all")


def test_timeline_with_fewer_grids_than_asked_shows_each_once(small_images, monkeypatch):
    trainer = make_trainer()
    view = gan_utils.LiveView(gan_utils.make_noise(4, trainer.G.latent_dim, seed=0), nrow=2)
    trainer.train(small_images, batch_size=32, steps=7, every=5, callback=view)
    fig = shown_figure(view, monkeypatch, n=6)
    assert [ax.get_title() for ax in fig.axes] == ["step 0", "step 5", "step 7"]
    plt.close("all")


def test_timeline_before_training_says_what_to_do():
    view = gan_utils.LiveView(gan_utils.make_noise(4, 8, seed=0))
    with pytest.raises(ValueError, match="train"):
        view.timeline()
