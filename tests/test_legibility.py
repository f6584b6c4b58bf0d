import pytest
import torch
from torch import nn

import gan_utils
from gan_utils.legibility import class_histogram, classify, legibility, load_classifier, main
from gan_utils.pretrain import PRETRAINED_CGAN


class LookupGenerator(nn.Module):
    """A fake conditional generator that returns the same real test digit for each label, shifted by
    ``offset`` (offset=1 draws a 4 when asked for a 3), whatever the noise."""

    def __init__(self, images, labels, offset=0):
        super().__init__()
        self.latent_dim, self.num_classes = 8, 10
        self.table = nn.Parameter(torch.stack([images[labels == (d + offset) % 10][0] for d in range(10)]))

    def forward(self, z, labels):
        return self.table[labels]


@pytest.fixture(scope="module")
def mnist_test(data_dir_env):
    return gan_utils.load_mnist(train=False)


def test_classifier_reads_real_mnist(mnist_test):
    images, labels = mnist_test
    accuracy = (classify(images, load_classifier()) == labels).float().mean().item()
    assert accuracy >= 0.98, accuracy


def test_legibility_counts_the_digits_asked_for(mnist_test):
    right = legibility(LookupGenerator(*mnist_test), n_per_digit=5)
    assert right["overall"] == 1.0 and right["per_digit"] == [1.0] * 10
    wrong = legibility(LookupGenerator(*mnist_test, offset=1), n_per_digit=5)
    assert wrong["overall"] == 0.0


def test_identical_samples_are_flagged_as_mode_collapse(mnist_test):
    result = legibility(LookupGenerator(*mnist_test), n_per_digit=5)
    assert result["collapsed"] == list(range(10))  # every digit is one image, repeated


def test_pretrained_generator_is_legible():
    G = gan_utils.load_generator(PRETRAINED_CGAN)
    result = legibility(G, n_per_digit=100)
    assert result["overall"] >= 0.97, result
    assert min(result["per_digit"]) >= 0.90, result
    assert result["collapsed"] == []


def test_command_prints_a_table(capsys):
    main([str(PRETRAINED_CGAN), "--n-per-digit", "20"])
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["digit", "legible", "spread"]
    assert "overall" in out and "mode collapse: none" in out


def test_command_explains_a_wrong_checkpoint(tmp_path, capsys):
    path = tmp_path / "vanilla.pt"
    gan_utils.save_checkpoint({"generator": gan_utils.checkpoints.pack_model(gan_utils.MLPGenerator())}, path)
    with pytest.raises(SystemExit) as exit_info:
        main([str(path)])
    assert exit_info.value.code == 2
    assert "unconditional" in capsys.readouterr().err


def test_class_histogram_counts_each_digit_after_resizing(mnist_test):
    images, labels = mnist_test
    big = torch.nn.functional.interpolate(images[:500], size=32, mode="bilinear")
    histogram = class_histogram(big)
    assert histogram.sum() == 500
    true = torch.bincount(labels[:500], minlength=10)
    assert (histogram - true).abs().sum() <= 20  # the classifier reads resized digits almost all right
