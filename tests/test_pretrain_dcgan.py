"""python -m gan_utils.pretrain dcgan keeps the best generator by the yardstick, with a fake yardstick."""

import pytest
import torch

import gan_utils
from gan_utils import pretrain


@pytest.fixture
def fake_run(monkeypatch):
    """A tiny DCGAN on random images, and a yardstick whose distances are 5, 3, 4, 6, 7, 8, ... by call."""
    calls = []

    def fake_quality(G, n=5000, seed=0, classifier=None):
        distance = [5.0, 3.0, 4.0][len(calls)] if len(calls) < 3 else 3.0 + len(calls)
        calls.append(distance)
        return {
            "histogram": [0.1] * 10,
            "rare": [],
            "dominant": [],
            "confident": 0.5,
            "real_confident": 0.9,
            "distance": distance,
            "floor": 0.1,
            "n": n,
        }

    def tiny_dcgan(seed=0):
        gan_utils.seed_everything(seed)
        G = gan_utils.DCGANGenerator(latent_dim=8, channels=3, image_size=32, width=4)
        D = gan_utils.DCGANDiscriminator(channels=3, image_size=32, width=4)
        return gan_utils.GANTrainer(G, D, seed=seed, device="cpu", bfloat16=False)

    # These tests count steps done in a few seconds. On a busy machine two threads can each wait for the
    # other at every layer (50 times slower, measured); one thread keeps the count steady.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setattr(pretrain, "cifar_quality", fake_quality)
    monkeypatch.setattr(pretrain, "dcgan", tiny_dcgan)
    monkeypatch.setattr(pretrain, "load_images", lambda dataset, image_size: torch.rand(64, 3, 32, 32) * 2 - 1)
    yield calls
    torch.set_num_threads(threads)


def test_notebook_03_settings():
    trainer = pretrain.dcgan()
    assert trainer.G.config == {"latent_dim": 100, "channels": 3, "image_size": 32, "width": 64}
    assert trainer.D.config == {"channels": 3, "image_size": 32, "width": 64}
    assert trainer.label_smoothing == 0.0
    group = trainer.opt_G.param_groups[0]
    assert group["lr"] == 2e-4 and group["betas"] == (0.5, 0.999)


def test_the_best_generator_is_kept_not_the_last(fake_run, tmp_path, capsys):
    path = tmp_path / "dcgan_cifar10.pt"
    pretrain.main(["dcgan", "--minutes", "0.03", "--every-steps", "2", "--out", str(path), "--dataset", "x"])
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


@pytest.mark.skipif(not pretrain.PRETRAINED_DCGAN.is_file(), reason="the pretrained DCGAN is not shipped yet")
def test_shipped_dcgan_is_notebook_03s_generator_with_its_log():
    assert pretrain.PRETRAINED_DCGAN.stat().st_size < 15 * 2**20
    saved = gan_utils.load_checkpoint(pretrain.PRETRAINED_DCGAN)
    assert saved["generator"]["config"] == pretrain.dcgan().G.config
    assert min(distance for _, distance in saved["log"]) == saved["score"]
    assert (saved["step"], saved["score"]) in saved["log"]
