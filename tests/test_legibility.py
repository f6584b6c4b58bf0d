import pytest
import torch
from torch import nn

import gan_utils
from gan_utils.legibility import class_histogram, classify, legibility, load_classifier, main, mnist_quality
from gan_utils.pretrain import PRETRAINED_CGAN, PRETRAINED_VANILLA


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


class RealDigits(nn.Module):
    """A fake plain generator that returns real digits, one per noise vector, in order."""

    def __init__(self, images):
        super().__init__()
        self.latent_dim = 8
        self.images = nn.Parameter(images, requires_grad=False)
        self.offset = 0

    def forward(self, z):
        out = self.images[self.offset : self.offset + len(z)]
        self.offset += len(z)
        return out


def random_training_digits(n, seed=5):
    """``n`` training digits picked at random (the file's order is not random: its first or last
    thousands are a few writers' and score several times the floor)."""
    images = gan_utils.load_mnist(train=True)[0]
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]]


def test_mnist_quality_of_real_digits_is_near_the_floor(mnist_test):
    from gan_utils.legibility import mnist_quality

    result = mnist_quality(RealDigits(random_training_digits(2000)), n=2000)
    assert result["legibility"] is None
    assert all(0.06 <= share <= 0.14 for share in result["histogram"]), result["histogram"]
    assert result["rare"] == [] and result["dominant"] == []
    assert result["distance"] < 1.5 * result["floor"], result


def test_mnist_quality_flags_a_generator_of_ones(mnist_test):
    from gan_utils.legibility import mnist_quality, quality_report

    images, labels = mnist_test
    ones = images[labels == 1][:500]
    result = mnist_quality(RealDigits(ones.repeat(4, 1, 1, 1)), n=2000)
    assert result["dominant"] == [1] and len(result["rare"]) == 9
    assert result["distance"] > 20 * result["floor"], result
    text = quality_report(result)
    assert "1 over 30%" in text and "0 under 2%" in text and "Frechet distance" in text


def test_mnist_quality_reads_legibility_and_any_image_size(mnist_test):
    from gan_utils.legibility import mnist_quality

    right = mnist_quality(LookupGenerator(*mnist_test), n=100)
    wrong = mnist_quality(LookupGenerator(*mnist_test, offset=1), n=100)
    assert right["legibility"] == 1.0 and wrong["legibility"] == 0.0
    assert right["histogram"] == pytest.approx([0.1] * 10)

    # 32x32 digits, as notebook 03 trains on MNIST (load_images resizes them): read back at 28x28
    bigger = gan_utils.data.resize(random_training_digits(2000), 32)
    result = mnist_quality(RealDigits(bigger), n=2000)
    assert result["rare"] == [] and result["distance"] < 3 * result["floor"], result


def test_measuring_does_not_change_the_random_numbers_of_training():
    # Loading the classifier (the first measurement of a run) must not draw from the global generator,
    # or a run that measures itself (KeepBest) would train differently from one that does not.
    load_classifier.cache_clear()
    before = torch.get_rng_state().clone()
    load_classifier()
    assert torch.equal(before, torch.get_rng_state())


def test_pretrained_mlp_gan_draws_every_digit():
    """Notebook 01's pretrained generator (GAN_TRAIN=0): close to real digits by the Frechet distance, no digit rare."""
    result = mnist_quality(gan_utils.load_generator(PRETRAINED_VANILLA), n=2000)
    assert result["distance"] < 2.0 and result["rare"] == [] and result["dominant"] == [], result
