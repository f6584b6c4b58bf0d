"""``python tools/measure.py CHECKPOINT``: the yardstick that fits the generator, or a clear error."""

import pytest
import torch
from test_quality import OneClassReader, fake_real_data, tiny_dcgan  # noqa: F401  (fake_real_data: a fixture)

import gan_utils
from gan_utils import quality
from gan_utils.checkpoints import pack_model
from tools import measure


def run(capsys, *args):
    """The command's exit status (0 when it ends normally), what it printed and what it said on stderr."""
    try:
        measure.main([str(arg) for arg in args])
        status = 0
    except SystemExit as exit_info:
        status = exit_info.code
    out, err = capsys.readouterr()
    return status, out, err


def test_a_conditional_digit_generator_gets_legibility_per_digit(mnist, capsys, monkeypatch):
    few = mnist[0][:300], mnist[1][:300]  # the real digits to compare with: a few, to be quick
    monkeypatch.setattr(quality, "load_mnist", lambda train=True, download=True: few)
    status, out, _ = run(capsys, gan_utils.PRETRAINED_CGAN, "--n", "300")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["class", "share"] and lines[1].split()[0] == "0"
    assert "legibility (read as the digit asked for): " in out and "Frechet distance" in out
    assert "legible per digit (100 of each): 0: " in out and "samples all alike (spread under 0.05): none" in out


def test_a_colour_generator_gets_the_cifar10_yardstick(tmp_path, capsys, fake_real_data, monkeypatch):  # noqa: F811
    checkpoint = tmp_path / "dcgan.pt"
    gan_utils.save_checkpoint({"generator": pack_model(tiny_dcgan())}, checkpoint)
    monkeypatch.setattr(quality, "load_classifier", lambda name, path=None: OneClassReader(3))
    status, out, _ = run(capsys, checkpoint, "--n", "60")
    assert status == 0 and out.splitlines()[0].split() == ["class", "share"]
    assert "cat         1.000  <- over 30%" in out and "of 60 samples" in out and "legib" not in out


def test_bad_checkpoints_and_classifiers_are_explained(tmp_path, capsys):
    garbage, grey = tmp_path / "garbage.pt", tmp_path / "grey.pt"
    garbage.write_bytes(b"not a checkpoint")
    gan_utils.save_checkpoint({"generator": pack_model(gan_utils.MLPGenerator())}, grey)
    wrong_classifier = tmp_path / "wrong.pt"
    torch.save(torch.nn.Linear(3, 10).state_dict(), wrong_classifier)
    for args, message in [
        ((tmp_path / "missing.pt",), "No checkpoint"),
        ((garbage,), "damaged"),
        ((grey, "--classifier", tmp_path / "none.pt"), "No mnist classifier"),
        ((grey, "--classifier", wrong_classifier), "python tools/pretrain.py mnist-classifier"),
    ]:
        status, out, err = run(capsys, *args)
        assert status == 2 and out == "" and message in err, (args, err)


@pytest.fixture(autouse=True)
def fresh_caches():
    """The classifiers and the real digits' statistics are kept once read: a test's fakes stay in that test."""
    for cache in (quality.load_classifier, quality.real_digits):
        cache.cache_clear()
    yield
    for cache in (quality.load_classifier, quality.real_digits):
        cache.cache_clear()
