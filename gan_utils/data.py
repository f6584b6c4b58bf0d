"""Datasets as one in-memory tensor of images in [-1, 1].

MNIST is small (60,000 images of 28x28 pixels, 188 MB as float32), so we
convert it once and then slice random batches out of the tensor. That is far
faster on a CPU than a ``DataLoader`` that converts every image on every epoch.

Where the files live: the folder named by the ``GAN_DATA_DIR`` environment
variable, or ``data/`` in the repository when it is unset. A relative
``GAN_DATA_DIR`` is taken from the repository root, so it means the same folder
to a notebook (which runs in ``notebooks/``) and to a command run from the root.
"""

import os
from pathlib import Path

from torchvision import datasets

REPO_ROOT = Path(__file__).resolve().parent.parent


class DataNotFoundError(FileNotFoundError):
    """The dataset is not on disk and could not be downloaded."""


def data_dir():
    """The data root: ``$GAN_DATA_DIR`` (relative to the repository root), or ``data/`` in the repository."""
    return REPO_ROOT / (os.environ.get("GAN_DATA_DIR") or "data")


def load_mnist(train=True, download=True):
    """MNIST as ``(images, labels)``: images ``(N, 1, 28, 28)`` float in [-1, 1], labels ``(N,)``.

    ``train=True`` gives the 60,000 training digits, ``False`` the 10,000 test digits.
    """
    root = data_dir()
    try:
        mnist = datasets.MNIST(root, train=train, download=False)
    except RuntimeError:  # torchvision's "Dataset not found"
        if not download:
            raise _missing("MNIST", root) from None
        try:
            mnist = datasets.MNIST(root, train=train, download=True)
        except Exception as error:  # no network, a proxy, a full disk, ...
            raise _missing("MNIST", root, error) from None
    images = mnist.data.unsqueeze(1).float() / 127.5 - 1  # uint8 [0, 255] -> float [-1, 1]
    return images, mnist.targets


def _missing(name, root, error=None):
    reason = f" The download failed: {error}." if error else ""
    return DataNotFoundError(
        f"{name} is not in {root} and could not be downloaded.{reason}\n"
        f"Connect to the internet and run again (torchvision downloads it to {root}), or point the "
        f"GAN_DATA_DIR environment variable at a folder that holds it, e.g. GAN_DATA_DIR=/path/to/data "
        f"with /path/to/data/{name}/raw/ inside."
    )
