"""Datasets as one in-memory tensor of images in [-1, 1].

The datasets of the series are small (MNIST: 60,000 images of 28x28 pixels,
188 MB as float32), so each is converted once and training slices random
batches out of the tensor. That is far faster on a CPU than a ``DataLoader``
that converts every image again on every epoch.

Where the files live: the folder named by the ``GAN_DATA_DIR`` environment
variable, or ``data/`` in the repository when it is unset. A relative
``GAN_DATA_DIR`` is taken from the repository root, so it means the same folder
to a notebook (which runs in ``notebooks/``) and to a command run from the root.
"""

import os
from pathlib import Path

import torch
from torch.nn import functional as F
from torchvision import datasets, transforms

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
    mnist = open_dataset(datasets.MNIST, train, download)
    return to_minus_one_one(mnist.data.unsqueeze(1)), mnist.targets


def load_images(dataset="cifar10", image_size=32, download=True):
    """The training images of ``dataset`` as one tensor ``(N, C, image_size, image_size)`` in [-1, 1].

    ``dataset`` is ``"cifar10"`` (50,000 colour images), ``"mnist"`` or ``"fashion-mnist"`` (60,000
    grey images, resized from 28x28), or the path of a folder of images in ``ImageFolder`` layout
    (``folder/any_name/*.png``), resized and centre-cropped. A relative path starts at the repository root.
    """
    if dataset == "cifar10":
        pixels = torch.from_numpy(open_dataset(datasets.CIFAR10, True, download).data).permute(0, 3, 1, 2)
    elif dataset in ("mnist", "fashion-mnist"):
        pixels = open_dataset(datasets.MNIST if dataset == "mnist" else datasets.FashionMNIST, True, download).data
        pixels = pixels.unsqueeze(1)
    else:
        return load_folder(REPO_ROOT / dataset, image_size)
    images = to_minus_one_one(pixels)
    if images.shape[-1] != image_size:  # one resize of the whole set, not one per image per epoch
        images = F.interpolate(images, size=image_size, mode="bilinear", antialias=True).clamp(-1, 1)
    return images


def to_minus_one_one(pixels):
    """uint8 pixels in [0, 255] -> float in [-1, 1], the range of the generators' tanh output."""
    return pixels.float() / 127.5 - 1


def load_folder(path, image_size):
    """Every image under ``path`` (``ImageFolder`` layout), resized, centre-cropped, in [-1, 1]."""
    to_tensor = transforms.Compose(
        [
            transforms.Resize(image_size),
            transforms.CenterCrop(image_size),
            transforms.ToTensor(),
            transforms.Normalize(0.5, 0.5),  # [0, 1] -> [-1, 1]
        ]
    )
    try:
        folder = datasets.ImageFolder(path, transform=to_tensor)
    except FileNotFoundError as error:
        raise DataNotFoundError(
            f"No images found in {path} ({error}). Give the path of a folder with the images in at least one "
            "subfolder (path/any_name/*.png), or use cifar10, mnist or fashion-mnist. A relative path starts "
            f"at the repository root, {REPO_ROOT}."
        ) from None
    return torch.stack([image for image, _ in folder])


def open_dataset(dataset_class, train=True, download=True):
    """A torchvision dataset from ``data_dir()``, downloaded first if missing; one clear error if it can't be."""
    root = data_dir()
    try:
        return dataset_class(root, train=train, download=False)
    except RuntimeError:  # torchvision's "Dataset not found"
        if not download:
            raise _missing(dataset_class.__name__, root) from None
        try:
            return dataset_class(root, train=train, download=True)
        except Exception as error:  # no network, a proxy, a full disk, ...
            raise _missing(dataset_class.__name__, root, error) from None


def _missing(name, root, error=None):
    reason = f" The download failed: {error}." if error else ""
    return DataNotFoundError(
        f"{name} is not in {root} and could not be downloaded.{reason}\n"
        f"Connect to the internet and run again (torchvision downloads it to {root}), or point the "
        f"GAN_DATA_DIR environment variable at a folder that already holds it in torchvision's layout "
        f"(for MNIST: GAN_DATA_DIR=/path/to/data with /path/to/data/MNIST/raw/ inside)."
    )
