"""Notebook 01's one-dimensional GAN (gan_utils/toy.py): the data, the view, and the two runs the lesson shows."""

import numpy as np
import pytest
import torch

from gan_utils import toy


def test_two_bumps_are_half_each_and_the_density_is_theirs():
    data = toy.two_bumps(20_000, seed=1)
    assert data.shape == (20_000, 1)
    assert abs((data < 0).float().mean().item() - 0.5) < 0.02
    left = data[data < 0]
    assert abs(left.mean().item() + 2) < 0.03 and abs(left.std().item() - 0.5) < 0.03
    x = np.linspace(-8, 8, 4001)
    assert abs(toy.bumps_density(x).sum() * (x[1] - x[0]) - 1) < 1e-6  # a density: it integrates to 1


def test_view_draws_the_densities_d_and_d_star(capsys):
    trainer = toy.toy_gan(seed=0)
    view = toy.ToyView(samples=2_000)
    threads = torch.get_num_threads()
    toy.train(trainer, toy.two_bumps(1_000), steps=5, view=view)
    assert torch.get_num_threads() == threads  # one thread while the toy trains only
    assert len(view.shares) == 2 and view.png.startswith(b"\x89PNG") and view.handle is None  # no Jupyter here
    assert abs(sum(view.shares[-1]) - 1) < 1e-9
    labels = [line.get_label() for line in view.ax_score.get_lines()]
    assert "D(x)" in labels and any(label.startswith("D*(x)") for label in labels)
    assert "float32" in capsys.readouterr().out


def train(centres):
    trainer = toy.toy_gan(seed=0)
    view = toy.ToyView(centres=centres)
    toy.train(trainer, toy.two_bumps(10_000, centres=centres), steps=2_000, view=view)
    return trainer, view


@pytest.mark.slow  # 2,000 steps each, as the lesson trains (its smoke run trains 200, which proves nothing)
@pytest.mark.parametrize("centres", [(-2.0, 2.0), (-4.0, 4.0)], ids=["near", "far"])
def test_the_lessons_two_runs(centres):
    """Bumps at -2 and 2: the generator covers both and D flattens near 0.45. At -4 and 4: it covers one
    bump only (mode collapse); D scores that bump 0.3 (0.9 p / (p + 2p)) and the other 0.9."""
    trainer, view = train(centres)
    scores = {key: np.mean(values[-200:]) for key, values in trainer.history.items()}
    with torch.no_grad():
        d_on_bumps = torch.sigmoid(trainer.D(torch.tensor([[centres[0]], [centres[1]]]))).tolist()
    if centres == (-2.0, 2.0):
        assert min(view.shares[-1]) > 0.4, view.shares[-1]
        assert abs(scores["D(x)"] - 0.45) < 0.02 and abs(scores["D(G(z))"] - 0.45) < 0.02, scores
        assert all(abs(d - 0.45) < 0.1 for d in d_on_bumps), d_on_bumps
    else:
        assert max(view.shares[-1]) > 0.98, view.shares[-1]
        covered, missed = sorted(d_on_bumps)
        assert abs(covered - 0.3) < 0.1 and missed > 0.8, d_on_bumps
