import pytest
import torch
from torchvision import datasets

import gan_utils


def test_mnist_is_one_tensor_in_minus_one_to_one(mnist):
    images, labels = mnist
    assert images.shape == (60_000, 1, 28, 28)
    assert images.dtype == torch.float32
    assert images.min().item() == -1.0 and images.max().item() == 1.0
    assert labels.shape == (60_000,)
    assert sorted(labels.unique().tolist()) == list(range(10))


def test_mnist_test_split():
    images, labels = gan_utils.load_mnist(train=False)
    assert images.shape == (10_000, 1, 28, 28)
    assert labels.shape == (10_000,)


def test_relative_data_dir_is_taken_from_the_repository_root(monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", "some/where")
    assert gan_utils.data_dir() == gan_utils.data.REPO_ROOT / "some" / "where"
    monkeypatch.delenv("GAN_DATA_DIR")
    assert gan_utils.data_dir() == gan_utils.data.REPO_ROOT / "data"


def test_missing_data_without_download_names_gan_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    with pytest.raises(gan_utils.DataNotFoundError, match="GAN_DATA_DIR") as error:
        gan_utils.load_mnist(download=False)
    assert str(tmp_path) in str(error.value)


def test_failed_download_gives_one_clear_error(tmp_path, monkeypatch):
    def offline(self):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    with pytest.raises(gan_utils.DataNotFoundError, match="GAN_DATA_DIR") as error:
        gan_utils.load_mnist()
    assert "Network is unreachable" in str(error.value)
    assert error.value.__cause__ is None  # no chained traceback from inside torchvision
