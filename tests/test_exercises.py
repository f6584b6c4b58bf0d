"""gan_utils.exercises: the measurements of the worked solutions (notebooks/solutions/)."""

import time

import pytest
import torch
from helpers import make_trainer
from torch import nn

import gan_utils
from gan_utils import exercises


class Replay(nn.Module):
    """A stand-in "generator" that returns the given images, in order, whatever the noise."""

    def __init__(self, images):
        super().__init__()
        self.images, self.latent_dim, self.anchor = images, 1, nn.Parameter(torch.zeros(1))

    def forward(self, z):
        return self.images[: len(z)]


def test_check_prints_what_it_checked_and_fails_on_false(capsys):
    exercises.check(1 + 1 == 2, "sums work")
    assert capsys.readouterr().out == "ok: sums work\n"
    with pytest.raises(AssertionError, match="self-check failed: D wins"):
        exercises.check(False, "D wins")


def test_mean_scores_average_the_window_before_the_step():
    history = {"D(x)": [0.0] * 10 + [1.0] * 10, "D(G(z))": list(range(20))}
    assert exercises.mean_scores(history, until=20, window=10) == (1.0, 14.5)
    assert exercises.mean_scores(history, until=10, window=10) == (0.0, 4.5)
    assert exercises.mean_scores(history, until=5, window=500) == (0.0, 2.0)  # fewer steps than the window


def test_digit_report_on_real_digits(mnist):
    images, labels = mnist
    report = exercises.digit_report(Replay(images[:1000]), n=1000)
    assert sum(report["counts"]) == 1000
    true_counts = torch.bincount(labels[:1000], minlength=10).tolist()
    assert all(abs(a - b) <= 10 for a, b in zip(report["counts"], true_counts))  # it reads them as labelled
    assert report["sure"] > 0.9  # the classifier is sure about real digits
    noise = exercises.digit_report(Replay(torch.rand(1000, 1, 28, 28) * 2 - 1), n=1000)
    assert noise["sure"] < report["sure"] - 0.3  # and much less about static


def test_press_stop_after_stops_training_like_the_stop_button(small_images, capsys):
    trainer = make_trainer()
    with exercises.press_stop_after(0.3):
        history = trainer.train(small_images, batch_size=16, minutes=1)
    # a one-minute run ended by the press: the trainer says it was stopped, and kept every step it made
    assert f"Stopped by Ctrl-C after step {trainer.step}" in capsys.readouterr().out
    assert trainer.step > 0 and len(history["d_loss"]) == trainer.step
    with exercises.press_stop_after(0.1):
        pass  # left early: the press is cancelled
    time.sleep(0.3)  # a press now would raise KeyboardInterrupt here


def test_train_mode_variety_comes_from_dropout_only():
    torch.manual_seed(0)
    with_dropout = gan_utils.ConditionalGenerator(latent_dim=8, hidden_dim=32, dropout=0.2)
    without = gan_utils.ConditionalGenerator(latent_dim=8, hidden_dim=32, dropout=0.0)
    assert exercises.train_mode_variety(with_dropout) > 0.01
    assert exercises.train_mode_variety(without) == 0.0
    assert with_dropout.training  # the mode it was in is put back
    with_dropout.eval()
    exercises.train_mode_variety(with_dropout)
    assert not with_dropout.training


def test_spread_and_most_common_digit(mnist):
    images, labels = mnist
    assert exercises.spread(images[:1].repeat(50, 1, 1, 1)) == 0.0
    assert exercises.spread(images[:1000]) > 0.2
    assert exercises.most_common_digit(images[:1000]) == pytest.approx(
        torch.bincount(labels[:1000]).max().item() / 1000, abs=0.02
    )
    sevens = images[labels == 7][:200]
    assert exercises.most_common_digit(sevens) > 0.9


def test_dcgan_variety_reads_digits_only_when_asked():
    torch.manual_seed(0)
    G = gan_utils.DCGANGenerator(latent_dim=16, channels=1, image_size=32, width=8)
    assert set(exercises.dcgan_variety(G, n=50)) == {"spread", "most_common_digit"}
    assert set(exercises.dcgan_variety(G, n=50, digits=False)) == {"spread"}
