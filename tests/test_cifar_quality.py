"""The CIFAR-10 yardstick, without the full CIFAR-10 set (CI has only 20 sample images)."""

import pytest
import torch
from torch import nn

import gan_utils
from gan_utils import cifar_quality as cq
from gan_utils.checkpoints import pack_model

SAMPLES = "../shared/data/cifar10-samples"  # relative paths start at the repository root


def random_covariance(dim, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(dim, dim, generator=g, dtype=torch.float64)
    return a @ a.T / dim + 0.1 * torch.eye(dim, dtype=torch.float64)


# --- the Frechet distance ---------------------------------------------------------------------------


def test_identical_gaussians_are_at_distance_zero():
    mean, cov = torch.randn(20, dtype=torch.float64), random_covariance(20, 0)
    assert abs(cq.frechet_distance(mean, cov, mean, cov)) < 1e-8


def test_a_shifted_mean_adds_the_squared_shift():
    mean, cov = torch.zeros(5, dtype=torch.float64), random_covariance(5, 1)
    shift = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=torch.float64)
    assert cq.frechet_distance(mean, cov, mean + shift, cov) == pytest.approx(shift.square().sum().item(), abs=1e-8)


def test_diagonal_covariances_give_the_closed_form():
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 9.0])
    expected = (a.sqrt() - b.sqrt()).square().sum().item()  # 1 + 1 + 0
    assert cq.frechet_distance(torch.zeros(3), a.diag(), torch.zeros(3), b.diag()) == pytest.approx(expected)


def test_general_covariances_match_the_eigenvalues_of_their_product():
    c1, c2 = random_covariance(8, 2), random_covariance(8, 3)
    trace_sqrt = torch.linalg.eigvals(c1 @ c2).real.clamp(min=0).sqrt().sum()  # another route to tr sqrt(C1 C2)
    expected = (c1.trace() + c2.trace() - 2 * trace_sqrt).item()
    assert cq.frechet_distance(torch.zeros(8), c1, torch.zeros(8), c2) == pytest.approx(expected, rel=1e-9)


def test_samples_of_the_same_gaussian_are_closer_than_of_another():
    g = torch.Generator().manual_seed(0)
    x, y, z = (torch.randn(4000, 6, generator=g, dtype=torch.float64) for _ in range(3))
    same = cq.frechet_distance(*cq.statistics(x), *cq.statistics(y))
    other = cq.frechet_distance(*cq.statistics(x), *cq.statistics(2 * z + 1))
    assert same < 0.02 and other > 6 + 6 * (2 - 1) ** 2 - 0.5  # 6 (means) + 6 (1 + 4 - 2*2)


# --- the classifier and its training --------------------------------------------------------------------


def test_augment_makes_shifted_and_mirrored_crops():
    images = torch.randn(6, 3, 32, 32)
    crops = cq.augment(images)
    padded = nn.functional.pad(images, (4, 4, 4, 4), mode="reflect")
    for crop, source in zip(crops, padded):
        windows = [source[:, t : t + 32, s : s + 32] for t in range(9) for s in range(9)]
        assert any(torch.equal(crop, w) or torch.equal(crop, w.flip(2)) for w in windows)


def test_training_learns_an_easy_task():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(64) % 2
    colour = torch.tensor([[1.0, -1.0, -1.0], [-1.0, -1.0, 1.0]])[labels]  # red or blue images, plus noise
    images = (colour.view(64, 3, 1, 1) + 0.3 * torch.randn(64, 3, 32, 32, generator=g)).clamp(-1, 1)
    model = cq.train_cifar_classifier(images, labels, epochs=3, batch_size=16, lr=0.05, device="cpu")
    assert not model.training
    assert cq.accuracy(model, images, labels) == 1.0


def test_load_classifier_explains_a_missing_or_wrong_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretrain cifar-classifier"):
        cq.load_classifier(tmp_path / "none.pt")
    wrong = tmp_path / "wrong.pt"
    torch.save(nn.Linear(3, 10).state_dict(), wrong)
    with pytest.raises(ValueError, match="train again"):
        cq.load_classifier(wrong)


# --- the yardstick, with a fake classifier and fake real data ---------------------------------------------


class OneClassReader(nn.Module):
    """A fake classifier that reads every image as class ``k``; its features are the mean colour."""

    def __init__(self, k, confidence=10.0):
        super().__init__()
        self.features = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(3, 10)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            self.head.bias.copy_(confidence * nn.functional.one_hot(torch.tensor(k), 10))

    def forward(self, x):
        return self.head(self.features(x))


@pytest.fixture
def fake_real_data(tmp_path, monkeypatch):
    """Real 'CIFAR-10': random images; the statistics cached in tmp_path; counts each real-data load."""
    loads = []

    def load_real(train=True):
        loads.append(train)
        g = torch.Generator().manual_seed(int(train))
        return torch.rand(400 if train else 200, 3, 32, 32, generator=g) * 2 - 1, torch.zeros(400, dtype=torch.long)

    monkeypatch.setattr(cq, "load_real", load_real)
    monkeypatch.setattr(cq, "real_folder", lambda train=True: tmp_path / "no-cifar")
    monkeypatch.setattr(cq, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(cq, "_real_statistics", {})
    (tmp_path / "cache").mkdir()
    return loads


def tiny_dcgan():
    gan_utils.seed_everything(0)
    return gan_utils.DCGANGenerator(latent_dim=16, channels=3, image_size=32, width=8)


def test_one_class_is_flagged_as_dominant_and_the_others_as_rare(fake_real_data):
    result = cq.cifar_quality(tiny_dcgan(), n=50, classifier=OneClassReader(3))
    assert result["histogram"] == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert result["dominant"] == ["cat"]
    assert result["rare"] == [name for name in cq.CLASSES if name != "cat"]
    assert result["confident"] == 1.0 and result["real_confident"] == 1.0
    assert result["n"] == 50
    unsure = cq.cifar_quality(tiny_dcgan(), n=50, classifier=OneClassReader(3, confidence=1.0))
    assert unsure["confident"] == 0.0  # e^1 / (e^1 + 9) = 0.23 < 0.5


def test_histogram_and_flags_of_an_untrained_classifier(fake_real_data):
    torch.manual_seed(0)
    classifier = cq.CifarClassifier().eval()
    result = cq.cifar_quality(tiny_dcgan(), n=200, classifier=classifier)
    probabilities, _ = cq.read_images(cq.samples(tiny_dcgan(), 200), classifier)
    shares = torch.bincount(probabilities.argmax(1), minlength=10) / 200
    assert result["histogram"] == pytest.approx(shares.tolist())
    assert sum(result["histogram"]) == pytest.approx(1.0)
    assert result["rare"] == [name for name, s in zip(cq.CLASSES, shares) if s < 0.02]
    assert result["dominant"] == [name for name, s in zip(cq.CLASSES, shares) if s > 0.30]
    assert result["confident"] == pytest.approx((probabilities.max(1).values >= 0.5).float().mean().item())


def test_real_statistics_are_computed_once_then_cached_in_memory_and_on_disk(fake_real_data, monkeypatch):
    classifier = OneClassReader(0)
    first = cq.real_statistics(classifier)
    assert sorted(fake_real_data) == [False, True]  # the test images and the training images, once each
    assert first["floor"] >= 0 and first["mean"].shape == (3,) and first["cov"].shape == (3, 3)
    cq.cifar_quality(tiny_dcgan(), n=20, classifier=classifier)
    assert len(fake_real_data) == 2  # from memory
    monkeypatch.setattr(cq, "_real_statistics", {})
    again = cq.real_statistics(classifier)
    assert len(fake_real_data) == 2  # from the file
    assert torch.equal(again["cov"], first["cov"]) and again["floor"] == first["floor"]
    other = OneClassReader(1)  # another classifier: other statistics
    cq.real_statistics(other)
    assert len(fake_real_data) == 4


def test_real_images_are_at_a_small_distance_and_noise_at_a_large_one(fake_real_data):
    result = cq.cifar_quality(tiny_dcgan(), n=100, classifier=OneClassReader(0))
    # An untrained generator's images are near-flat grey, far from the random "real" images' colours
    assert result["distance"] > 10 * result["floor"]


def test_report_lists_every_class_and_the_figures(fake_real_data):
    text = cq.report(cq.cifar_quality(tiny_dcgan(), n=50, classifier=OneClassReader(3)))
    lines = text.splitlines()
    assert lines[0].split() == ["class", "share"]
    assert [line.split()[0] for line in lines[1:11]] == list(cq.CLASSES)
    assert "cat         1.000  <- over 30%" in text and "airplane    0.000  <- under 2%" in text
    assert "Frechet distance" in text and "floor" in text and "mode collapse: airplane under 2%" in text


def test_plot_helper_draws_a_bar_chart_and_the_surest_samples(fake_real_data, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    cq.plot_cifar_quality(tiny_dcgan(), n=40, classifier=OneClassReader(5), top=8)
    (figure,) = shown
    titles = [ax.get_title() for ax in figure.axes]
    assert len(figure.axes) == 9 and titles.count("dog 1.00") == 8
    plt.close(figure)


def test_a_colour_generator_is_needed():
    with pytest.raises(ValueError, match="colour"):
        cq.samples(gan_utils.MLPGenerator(), 10)


# --- the command ----------------------------------------------------------------------------------------


def test_command_explains_a_bad_checkpoint(tmp_path, capsys):
    for bad, message in [
        (tmp_path / "missing.pt", "No checkpoint"),
        (tmp_path / "garbage.pt", "damaged"),
        (tmp_path / "grey.pt", "colour"),
    ]:
        if bad.name == "garbage.pt":
            bad.write_bytes(b"not a checkpoint")
        if bad.name == "grey.pt":
            gan_utils.save_checkpoint({"generator": pack_model(gan_utils.MLPGenerator())}, bad)
        with pytest.raises(SystemExit) as exit_info:
            cq.main([str(bad), "--classifier", str(tmp_path / "none.pt")])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_command_explains_a_missing_classifier(tmp_path, capsys):
    checkpoint = tmp_path / "dcgan.pt"
    gan_utils.save_checkpoint({"generator": pack_model(tiny_dcgan())}, checkpoint)
    with pytest.raises(SystemExit):
        cq.main([str(checkpoint), "--classifier", str(tmp_path / "none.pt")])
    assert "python -m gan_utils.pretrain cifar-classifier" in capsys.readouterr().err


def test_command_prints_the_table(tmp_path, capsys, fake_real_data):
    checkpoint, weights = tmp_path / "dcgan.pt", tmp_path / "classifier.pt"
    gan_utils.save_checkpoint({"generator": pack_model(tiny_dcgan())}, checkpoint)
    torch.save(cq.CifarClassifier().state_dict(), weights)
    cq.main([str(checkpoint), "--n", "60", "--classifier", str(weights)])
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["class", "share"]
    assert "of 60 samples" in out and "Frechet distance" in out


# --- the shipped weights, once they are there -----------------------------------------------------------


@pytest.mark.skipif(not cq.CLASSIFIER_PATH.is_file(), reason="the CIFAR-10 classifier is not shipped yet")
def test_shipped_classifier_reads_the_sample_images():
    assert cq.CLASSIFIER_PATH.stat().st_size < 5 * 2**20
    images, labels = gan_utils.load_images(SAMPLES, image_size=32, with_labels=True)
    names = gan_utils.data.datasets.ImageFolder(gan_utils.data.REPO_ROOT / SAMPLES).classes
    truth = torch.tensor([cq.CLASSES.index(names[label]) for label in labels])
    assert cq.accuracy(cq.load_classifier(), images, truth) >= 0.7


def test_loading_the_classifier_does_not_change_the_random_numbers_of_training():
    cq.load_classifier.cache_clear()
    before = torch.get_rng_state().clone()
    cq.load_classifier()
    assert torch.equal(before, torch.get_rng_state())
