"""gan_utils.quality: the Frechet distance, the two classifiers, the digit and CIFAR-10 yardsticks and their report.
The CIFAR-10 yardstick runs with a fake classifier and fake real data (CI has only 20 sample images)."""

import pytest
import torch
from torch import nn

import gan_utils
from gan_utils import quality


def random_covariance(dim, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    return a @ a.T / dim + 0.1 * torch.eye(dim, dtype=torch.float64)


# --- the Frechet distance -----------------------------------------------------------------------------------


def test_identical_gaussians_are_at_distance_zero():
    mean, cov = torch.randn(20, dtype=torch.float64), random_covariance(20, 0)
    assert abs(quality.frechet_distance(mean, cov, mean, cov)) < 1e-8


def test_a_shifted_mean_adds_the_squared_shift():
    mean, cov = torch.zeros(5, dtype=torch.float64), random_covariance(5, 1)
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=torch.float64)
    expected = shift.square().sum().item()
    assert quality.frechet_distance(mean, cov, mean + shift, cov) == pytest.approx(expected, abs=1e-8)


def test_diagonal_covariances_give_the_closed_form():
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 9.0])
    expected = (a.sqrt() - b.sqrt()).square().sum().item()  # 1 + 1 + 0
    assert quality.frechet_distance(torch.zeros(3), a.diag(), torch.zeros(3), b.diag()) == pytest.approx(expected)


def test_general_covariances_match_the_eigenvalues_of_their_product():
    c1, c2 = random_covariance(8, 2), random_covariance(8, 3)
    trace_sqrt = torch.linalg.eigvals(c1 @ c2).real.clamp(min=0).sqrt().sum()  # another route to tr sqrt(C1 C2)
    expected = (c1.trace() + c2.trace() - 2 * trace_sqrt).item()
    assert quality.frechet_distance(torch.zeros(8), c1, torch.zeros(8), c2) == pytest.approx(expected, rel=1e-9)


def test_samples_of_the_same_gaussian_are_closer_than_of_another():
    g = torch.Generator().manual_seed(0)
    x, y, z = (torch.randn(4000, 6, generator=g, dtype=torch.float64) for _ in range(3))
    same = quality.frechet_distance(*quality.statistics(x), *quality.statistics(y))
    other = quality.frechet_distance(*quality.statistics(x), *quality.statistics(2 * z + 1))
    assert same < 0.02 and other > 6 + 6 * (2 - 1) ** 2 - 0.5  # 6 (means) + 6 (1 + 4 - 2*2)


# --- the classifiers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_loading_a_classifier_does_not_change_the_random_numbers_of_training(name):
    # Loading the classifier (the first measurement of a run) must not draw from the global generator,
    # or a run that measures itself (KeepBest) would train differently from one that does not.
    quality.load_classifier.cache_clear()
    before = torch.get_rng_state().clone()
    quality.load_classifier(name)
    assert torch.equal(before, torch.get_rng_state())


@pytest.mark.parametrize(("name", "command"), [("mnist", "mnist-classifier"), ("cifar10", "cifar10-classifier")])
def test_load_classifier_explains_a_missing_or_wrong_file(tmp_path, name, command):
    with pytest.raises(FileNotFoundError, match=f"python tools/pretrain.py {command}"):
        quality.load_classifier(name, tmp_path / "none.pt")
    wrong = tmp_path / "wrong.pt"
    torch.save(nn.Linear(3, 10).state_dict(), wrong)
    with pytest.raises(ValueError, match=f"train again: python tools/pretrain.py {command}"):
        quality.load_classifier(name, wrong)


def test_the_shipped_classifiers_are_small():
    for name in quality.CLASSIFIERS:
        assert quality.classifier_file(name).stat().st_size < 5 * 2**20, name


def test_the_digit_classifier_reads_real_mnist(mnist_test):
    images, labels = mnist_test[0][:2000], mnist_test[1][:2000]
    accuracy = (quality.classify(images) == labels).float().mean().item()
    assert accuracy >= 0.98, accuracy


def test_the_cifar10_classifier_reads_the_sample_images(cifar_samples):
    images, labels = gan_utils.load_images(str(cifar_samples), image_size=32, with_labels=True)
    names = gan_utils.data.datasets.ImageFolder(cifar_samples).classes
    truth = torch.tensor([quality.CLASSES.index(names[label]) for label in labels])
    read = quality.read(images, quality.load_classifier("cifar10"))[0].argmax(1)
    assert (read == truth).float().mean().item() >= 0.7


def test_class_histogram_counts_each_digit_after_resizing(mnist_test):
    images, labels = mnist_test
    big = torch.nn.functional.interpolate(images[:500], size=32, mode="bilinear")
    histogram = quality.class_histogram(big)
    assert histogram.sum() == 500
    true = torch.bincount(labels[:500], minlength=10)
    assert (histogram - true).abs().sum() <= 20  # the classifier reads resized digits almost all right


# --- digits -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_test(data_dir):
    return gan_utils.load_mnist(train=False, download=False)


class LookupGenerator(nn.Module):
    """A fake conditional generator that returns the same real test digit for each label, shifted by
    ``offset`` (offset=1 draws a 4 when asked for a 3), whatever the noise."""

    def __init__(self, images, labels, offset=0):
        super().__init__()
        self.latent_dim, self.num_classes = 8, 10
        self.table = nn.Parameter(torch.stack([images[labels == (d + offset) % 10][0] for d in range(10)]))

    def forward(self, z, labels):
        return self.table[labels]


class RealDigits(nn.Module):
    """A fake plain generator that returns the given digits, one per noise vector, in order."""

    def __init__(self, images):
        super().__init__()
        self.latent_dim = 8
        self.images = nn.Parameter(images, requires_grad=False)
        self.offset = 0

    def forward(self, z):
        out = self.images[self.offset : self.offset + len(z)]
        self.offset += len(z)
        return out


@pytest.fixture(scope="module")
def training_digits(mnist):
    """2,000 training digits picked at random (the file's order is not random: its first or last thousands
    are a few writers' and score several times the floor)."""
    images = mnist[0]
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(5))[:2000]]


def test_legibility_counts_the_digits_asked_for_and_flags_identical_samples(mnist_test):
    right = quality.legibility(LookupGenerator(*mnist_test), n_per_digit=5)
    assert right["overall"] == 1.0 and right["per_digit"] == [1.0] * 10
    assert right["collapsed"] == list(range(10))  # every digit is one image, repeated
    wrong = quality.legibility(LookupGenerator(*mnist_test, offset=1), n_per_digit=5)
    assert wrong["overall"] == 0.0 and wrong["per_digit"] == [0.0] * 10


def test_mnist_quality_of_real_digits_is_near_the_floor(training_digits):
    result = quality.mnist_quality(RealDigits(training_digits), n=2000)
    assert result["legibility"] is None and result["n"] == 2000
    assert all(0.06 <= share <= 0.14 for share in result["histogram"]), result["histogram"]
    assert result["rare"] == [] and result["dominant"] == []
    assert result["distance"] < 1.5 * result["floor"], result


def test_mnist_quality_flags_a_generator_of_ones(mnist_test):
    images, labels = mnist_test
    ones = images[labels == 1][:500]
    result = quality.mnist_quality(RealDigits(ones.repeat(4, 1, 1, 1)), n=2000)
    assert result["dominant"] == [1] and result["rare"] == [0, 2, 3, 4, 5, 6, 7, 8, 9]
    assert result["distance"] > 20 * result["floor"], result
    text = quality.report(result)
    assert "1           1.000  <- over 30%" in text and "0           0.000  <- under 2%" in text
    assert "mode collapse: 0 under 2%" in text and "1 over 30%" in text and "legibility" not in text


def test_mnist_quality_reads_legibility(mnist_test):
    right = quality.mnist_quality(LookupGenerator(*mnist_test), n=2000)
    wrong = quality.mnist_quality(LookupGenerator(*mnist_test, offset=1), n=2000)
    assert right["legibility"] == 1.0 and wrong["legibility"] == 0.0
    assert right["histogram"] == pytest.approx([0.1] * 10)
    assert "legibility (read as the digit asked for): 1.000" in quality.report(right)


def test_mnist_quality_reads_32x32_digits_against_real_digits_resized_alike(training_digits):
    # notebook 03 trains on MNIST at 32x32 (load_images resizes it); the digits are read back at 28x28
    result = quality.mnist_quality(RealDigits(gan_utils.data.resize(training_digits, 32)), n=2000)
    assert result["rare"] == [] and result["distance"] < 3 * result["floor"], result


def test_the_pretrained_generators_draw_every_digit(data_dir):
    cgan = quality.legibility(gan_utils.load_generator(gan_utils.PRETRAINED_CGAN), n_per_digit=100)
    assert cgan["overall"] >= 0.97 and min(cgan["per_digit"]) >= 0.90 and cgan["collapsed"] == [], cgan
    # notebook 01's (GAN_TRAIN=0): close to real digits by the Frechet distance, no digit rare
    vanilla = quality.mnist_quality(gan_utils.load_generator(gan_utils.PRETRAINED_VANILLA), n=2000)
    assert vanilla["distance"] < 2.0 and vanilla["rare"] == [] and vanilla["dominant"] == [], vanilla


# --- CIFAR-10, with a fake classifier and fake real data ----------------------------------------------------


class OneClassReader(nn.Module):
    """A fake classifier that reads every image as class ``k``; its features are the mean colour."""

    image_size, bfloat16 = 32, False

    def __init__(self, k, confidence=10.0):
        super().__init__()
        self.features = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(3, 10)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            self.head.bias.copy_(confidence * nn.functional.one_hot(torch.tensor(k), 10))

    def read(self, x):
        features = self.features(x)
        return self.head(features), features


@pytest.fixture
def fake_real_data(tmp_path, monkeypatch):
    """Real 'CIFAR-10': random images; the statistics cached in tmp_path; counts each real-data load."""
    loads = []

    def load_real(train=True):
        loads.append(train)
        g = torch.Generator().manual_seed(int(train))
        return torch.rand(400 if train else 200, 3, 32, 32, generator=g) * 2 - 1, torch.zeros(400, dtype=torch.long)

    monkeypatch.setattr(quality, "load_real", load_real)
    monkeypatch.setattr(quality, "real_folder", lambda train=True: tmp_path / "no-cifar")
    monkeypatch.setattr(quality, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(quality, "_real_cifar10", {})
    (tmp_path / "cache").mkdir()
    return loads


def tiny_dcgan():
    gan_utils.seed_everything(0)
    return gan_utils.DCGANGenerator(latent_dim=16, channels=3, image_size=32, width=8)


def test_one_class_is_flagged_as_dominant_and_the_others_as_rare(fake_real_data):
    result = quality.cifar_quality(tiny_dcgan(), n=50, classifier=OneClassReader(3))
    assert result["histogram"] == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert result["dominant"] == ["cat"]
    assert result["rare"] == [name for name in quality.CLASSES if name != "cat"]
    assert result["confident"] == 1.0 and result["real_confident"] == 1.0
    assert result["n"] == 50
    unsure = quality.cifar_quality(tiny_dcgan(), n=50, classifier=OneClassReader(3, confidence=1.0))
    assert unsure["confident"] == 0.0  # e^1 / (e^1 + 9) = 0.23 < 0.5


class RandomReader(OneClassReader):
    """A fake classifier with random weights: the classes it reads vary from image to image."""

    def __init__(self):
        super().__init__(0)
        self.features = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Flatten())  # 48 numbers per image
        self.head = nn.Linear(48, 10)
        with torch.no_grad():
            self.head.weight.copy_(torch.randn(10, 48, generator=torch.Generator().manual_seed(0)))
            self.head.bias.zero_()


class NoiseGenerator(nn.Module):
    """A fake colour generator whose images differ a lot from one noise vector to the next."""

    latent_dim, image_shape = 16, (3, 32, 32)

    def __init__(self):
        super().__init__()
        self.project = nn.Linear(16, 3 * 32 * 32)
        with torch.no_grad():
            self.project.weight.copy_(torch.randn(3 * 32 * 32, 16, generator=torch.Generator().manual_seed(1)))
            self.project.bias.zero_()

    def forward(self, z):
        return torch.tanh(self.project(z)).view(-1, *self.image_shape)


def test_histogram_flags_and_confidence_follow_what_the_classifier_reads(fake_real_data):
    classifier = RandomReader()
    result = quality.cifar_quality(NoiseGenerator(), n=200, classifier=classifier)
    probabilities, _ = quality.read(quality.samples(NoiseGenerator(), 200), classifier)
    shares = torch.bincount(probabilities.argmax(1), minlength=10) / 200
    assert result["histogram"] == pytest.approx(shares.tolist()) and (shares > 0).sum() >= 5
    assert sum(result["histogram"]) == pytest.approx(1.0)
    assert result["rare"] == [name for name, s in zip(quality.CLASSES, shares) if s < 0.02]
    assert result["dominant"] == [name for name, s in zip(quality.CLASSES, shares) if s > 0.30]
    confident = (probabilities.max(1).values >= 0.5).float().mean().item()
    assert result["confident"] == pytest.approx(confident) and 0 < confident < 1


def test_real_statistics_are_computed_once_then_cached_in_memory_and_on_disk(fake_real_data, monkeypatch):
    classifier = OneClassReader(0)
    first = quality.real_cifar10(classifier)
    assert sorted(fake_real_data) == [False, True]  # the test images and the training images, once each
    assert first["floor"] >= 0 and first["mean"].shape == (3,) and first["cov"].shape == (3, 3)
    quality.cifar_quality(tiny_dcgan(), n=20, classifier=classifier)
    assert len(fake_real_data) == 2  # from memory
    monkeypatch.setattr(quality, "_real_cifar10", {})
    again = quality.real_cifar10(classifier)
    assert len(fake_real_data) == 2  # from the file
    assert torch.equal(again["cov"], first["cov"]) and again["floor"] == first["floor"]
    quality.real_cifar10(OneClassReader(1))  # another classifier: other statistics
    assert len(fake_real_data) == 4


def test_real_images_are_at_a_small_distance_and_noise_at_a_large_one(fake_real_data):
    result = quality.cifar_quality(tiny_dcgan(), n=100, classifier=OneClassReader(0))
    # An untrained generator's images are near-flat grey, far from the random "real" images' colours
    assert result["distance"] > 10 * result["floor"]


def test_report_lists_every_class_and_the_figures(fake_real_data):
    text = quality.report(quality.cifar_quality(tiny_dcgan(), n=50, classifier=OneClassReader(3)))
    lines = text.splitlines()
    assert lines[0].split() == ["class", "share"]
    assert [line.split()[0] for line in lines[1:11]] == list(quality.CLASSES)
    assert "cat         1.000  <- over 30%" in text and "airplane    0.000  <- under 2%" in text
    assert "confident (top class >= 0.5): 1.000 of 50 samples" in text and "legibility" not in text
    assert "Frechet distance" in text and "floor" in text and "mode collapse: airplane under 2%" in text


def test_plot_helper_draws_a_bar_chart_and_the_surest_samples(fake_real_data, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    quality.plot_cifar_quality(tiny_dcgan(), n=40, classifier=OneClassReader(5), top=8)
    (figure,) = shown
    titles = [ax.get_title() for ax in figure.axes]
    assert len(figure.axes) == 9 and titles.count("dog 1.00") == 8
    plt.close(figure)


def test_a_colour_generator_is_needed():
    for G in (gan_utils.MLPGenerator(), gan_utils.ConditionalGenerator(image_shape=(3, 28, 28))):
        with pytest.raises(ValueError, match="unconditional generator of colour images"):
            quality.cifar_quality(G, 10, classifier=OneClassReader(0))


def test_the_shipped_dcgan_is_notebook_03s_generator_with_its_log():
    assert gan_utils.PRETRAINED_DCGAN.stat().st_size < 15 * 2**20
    saved = gan_utils.load_checkpoint(gan_utils.PRETRAINED_DCGAN)
    assert saved["generator"]["class"] == "DCGANGenerator"
    assert saved["generator"]["config"] == gan_utils.recipes.dcgan(width=64).G.config  # trained on a GPU
    assert min(distance for _, distance in saved["log"]) == saved["score"]
    assert (saved["step"], saved["score"]) in saved["log"]
