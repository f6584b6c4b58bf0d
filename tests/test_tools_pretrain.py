"""``python tools/pretrain.py``: the DCGAN run keeps the best generator by the yardstick (a fake one, on a fake
clock), and the yardsticks' classifiers learn, save and load back (on small, easy data)."""

import itertools
import time

import pytest
import torch
from torch import nn

import gan_utils
from gan_utils import quality
from tools import pretrain


@pytest.fixture
def fake_run(monkeypatch):
    """A tiny DCGAN on random images, a yardstick whose distances are 5, 3, 4, 6, 7, 8, ... by call, and a
    clock that moves 0.1 s each time it is read (about once a step): the same steps on any machine."""
    calls = []

    def fake_quality(G, n=5000, seed=0, classifier=None):
        distance = [5.0, 3.0, 4.0][len(calls)] if len(calls) < 3 else 3.0 + len(calls)
        calls.append(distance)
        return {"histogram": [0.1] * 10, "rare": [], "dominant": [], "distance": distance, "floor": 0.1, "n": n} | {
            "confident": 0.5,
            "real_confident": 0.9,
        }

    def tiny_dcgan(seed=0):
        gan_utils.seed_everything(seed)
        G = gan_utils.DCGANGenerator(latent_dim=8, channels=3, image_size=32, width=4)
        D = gan_utils.DCGANDiscriminator(channels=3, image_size=32, width=4)
        return gan_utils.GANTrainer(G, D, seed=seed, device="cpu", bfloat16=False)

    clock = itertools.count(start=1000.0, step=0.1)
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    # On a busy machine two threads can each wait for the other at every layer (50 times slower, measured)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setattr(quality, "cifar_quality", fake_quality)
    monkeypatch.setattr(pretrain, "dcgan", tiny_dcgan)
    monkeypatch.setattr(pretrain, "load_images", lambda dataset, image_size: torch.rand(64, 3, 32, 32) * 2 - 1)
    yield calls
    torch.set_num_threads(threads)


def test_the_best_generator_is_kept_not_the_last(fake_run, tmp_path, capsys):
    path = tmp_path / "dcgan_cifar10.pt"
    pretrain.main(["dcgan", "--minutes", "0.05", "--every-steps", "2", "--out", str(path), "--dataset", "x"])
    saved = gan_utils.load_checkpoint(path)
    log = saved["log"]
    assert [distance for _, distance in log] == fake_run[: len(log)] and len(log) >= 4
    assert saved["score"] == 3.0 and saved["step"] == log[1][0] == 4  # the second check, at step 4
    assert [step for step, _ in log][:3] == [2, 4, 6]
    assert gan_utils.load_generator(path).config["width"] == 4
    out = capsys.readouterr().out
    assert "the generator of step 4 of" in out and "(2, 5.00), (4, 3.00)" in out and "Frechet distance" in out


def test_every_minutes_turns_the_first_stretch_into_steps(fake_run, tmp_path):
    path = tmp_path / "dcgan_cifar10.pt"
    pretrain.pretrain_dcgan(minutes=0.04, every_minutes=0.01, path=path)
    steps = [step for step, _ in gan_utils.load_checkpoint(path)["log"]]
    assert len(steps) >= 3
    assert steps[1] == 2 * steps[0]  # the first check came after 0.6 s; the next ones every that many steps
    assert steps[0] < 10  # about one step per reading of the clock, and 6 readings in 0.6 s


# --- the classifiers ----------------------------------------------------------------------------------------


def test_augment_makes_shifted_and_mirrored_crops():
    images = torch.randn(6, 3, 32, 32)
    crops = pretrain.augment(images)
    padded = nn.functional.pad(images, (4, 4, 4, 4), mode="reflect")
    for crop, source in zip(crops, padded):
        windows = [source[:, t : t + 32, s : s + 32] for t in range(9) for s in range(9)]
        assert any(torch.equal(crop, w) or torch.equal(crop, w.flip(2)) for w in windows)


def red_or_blue(n=64, size=8):
    """An easy task: red or blue images (8x8: the classifier reads any size; small is fast), plus noise."""
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 2
    colour = torch.tensor([[1.0, -1.0, -1.0], [-1.0, -1.0, 1.0]])[labels]
    return (colour.view(n, 3, 1, 1) + 0.3 * torch.randn(n, 3, size, size, generator=g)).clamp(-1, 1), labels


def test_the_cifar10_classifier_learns_saves_and_loads_back(tmp_path, monkeypatch, capsys):
    images, labels = red_or_blue()
    train = pretrain.train_cifar_classifier
    trained = []
    monkeypatch.setattr(  # batches of 16 of the 64 images, so that 3 epochs are 12 steps, not 3
        pretrain,
        "train_cifar_classifier",
        lambda *args, **kwargs: trained.append(train(*args, **kwargs | {"batch_size": 16, "lr": 0.05})) or trained[-1],
    )
    monkeypatch.setattr(quality, "load_real", lambda train=True: red_or_blue())
    monkeypatch.setattr(quality.CifarClassifier, "image_size", 8)  # the fake data's size: read as they are
    path = tmp_path / "cifar10_classifier.pt"
    pretrain.main(["cifar10-classifier", "--epochs", "3", "--out", str(path)])
    assert f"Wrote {path}: test accuracy" in capsys.readouterr().out
    (model,) = trained
    assert not model.training and pretrain.accuracy(model, images, labels) == 1.0
    loaded = quality.load_classifier("cifar10", path)
    assert torch.equal(quality.read(images, loaded)[0], quality.read(images, model)[0])


def test_the_digit_classifier_learns_saves_and_loads_back(mnist, tmp_path, monkeypatch, capsys):
    images, labels = mnist
    zeros_and_ones = (labels == 0) | (labels == 1)
    easy = images[zeros_and_ones][:512], labels[zeros_and_ones][:512]
    monkeypatch.setattr(pretrain, "load_mnist", lambda train=True: easy)
    path = tmp_path / "mnist_classifier.pt"
    pretrain.main(["mnist-classifier", "--epochs", "2", "--out", str(path)])
    assert f"Wrote {path}: test accuracy" in capsys.readouterr().out
    assert pretrain.accuracy(quality.load_classifier("mnist", path), *easy) >= 0.98
