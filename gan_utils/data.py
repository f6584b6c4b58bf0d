"""Datasets as one in-memory tensor of images in [-1, 1].

The series' datasets are small (MNIST: 188 MB as float32), so each is converted once and training slices
random batches out of the tensor: far faster on a CPU than a ``DataLoader`` that converts every image on
every epoch. The files live in ``$GAN_DATA_DIR`` (relative to the repository root, the same folder to a notebook
and to a command run from the root; for gan_utils installed as a package, in Colab, relative to the notebook's
folder), or ``data/`` when it is unset. A folder of your own images is decoded once and cached (``load_folder``).
"""

import hashlib
import os
import stat
import tempfile
import warnings
from pathlib import Path

import torch
from PIL import Image
from torch.nn import functional as F
from torchvision import datasets
from torchvision.io import ImageReadMode, decode_image, read_file
from torchvision.transforms.v2 import functional as TF
from tqdm.auto import tqdm

REPO_ROOT = next((p for p in [Path(__file__).resolve().parent.parent] if (p / "pyproject.toml").is_file()), Path.cwd())
REPO_CACHE = REPO_ROOT / ".cache"  # decoded folders, when the data root is read-only (git-ignored)


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


def load_cifar10(train=True, download=True):
    """CIFAR-10 as ``(images, labels)``: images ``(N, 3, 32, 32)`` float in [-1, 1], labels ``(N,)``.

    ``train=True`` gives the 50,000 training images, ``False`` the 10,000 test images.
    """
    cifar = open_dataset(datasets.CIFAR10, train, download)
    return to_minus_one_one(torch.from_numpy(cifar.data).permute(0, 3, 1, 2)), torch.tensor(cifar.targets)


def load_images(dataset="cifar10", image_size=32, download=True, with_labels=False):
    """The training images of ``dataset`` as one tensor ``(N, C, image_size, image_size)`` in [-1, 1].

    ``dataset`` is ``"cifar10"`` (50,000 colour images), ``"mnist"`` or ``"fashion-mnist"`` (60,000
    grey images, resized from 28x28), or the path of a folder of images in ``ImageFolder`` layout
    (``folder/any_name/*.png``), resized and centre-cropped. A relative path starts at the repository root.
    A folder is decoded once and then read from a cache (see ``load_folder``). ``with_labels=True``
    returns ``(images, labels)``: the class numbers, for a folder its subfolders in alphabetical order.
    """
    if dataset == "cifar10":
        images, labels = load_cifar10(train=True, download=download)
    elif dataset in ("mnist", "fashion-mnist"):
        mnist = open_dataset(datasets.MNIST if dataset == "mnist" else datasets.FashionMNIST, True, download)
        images, labels = to_minus_one_one(mnist.data.unsqueeze(1)), mnist.targets
    else:
        pixels, labels = load_folder(REPO_ROOT / dataset, image_size)
        images = to_minus_one_one(pixels)
    images = resize(images, image_size)  # one resize of the whole set, not one per image per epoch
    return (images, labels) if with_labels else images


def resize(images, image_size):
    """Images in [-1, 1] resized to ``image_size`` x ``image_size`` (unchanged if they are that size)."""
    if images.shape[-1] == image_size:
        return images
    return F.interpolate(images, size=image_size, mode="bilinear", antialias=True).clamp(-1, 1)


def to_minus_one_one(pixels):
    """uint8 pixels in [0, 255] -> float in [-1, 1], the range of the generators' tanh output."""
    return pixels.float().div_(127.5).sub_(1)  # in place: no second copy of a large set


# --- folders of images, decoded once and cached ------------------------------------------------------


def load_folder(path, image_size):
    """Every image under ``path`` (``ImageFolder`` layout), resized and centre-cropped, as
    ``(pixels, labels)``: uint8 pixels ``(N, 3, image_size, image_size)`` and class numbers.

    Decoding is the slow part (CIFAR-10's 50,000 small JPEGs: about 9 s on a 2-core CPU, 20 s through
    PIL), so the first call decodes every file once and saves the result in ``cache_dir()``; later
    calls read that file in about a second. The cache is rebuilt when the folder's files change (see
    ``fingerprint``). Nothing is ever written into the image folder itself.
    """
    path = Path(path).resolve()
    key = fingerprint(path)
    cache = cache_file(path, image_size)
    if cache is not None and cache.is_file():
        try:
            cached = torch.load(cache, weights_only=True)
            if cached["fingerprint"] == key:
                return cached["pixels"], cached["labels"]
        except Exception:  # a damaged cache file: decode again and rewrite it
            pass
    files, labels = list_images(path)
    with warnings.catch_warnings():
        # torchvision 0.29 marks its image decoders deprecated in favour of TorchCodec (not a dependency
        # here). They still work, and read small JPEGs about twice as fast as PIL.
        warnings.simplefilter("ignore", DeprecationWarning)
        pixels = torch.stack([decode(file, image_size) for file in tqdm(files, desc=f"decoding {path.name}")])
    labels = torch.tensor(labels)
    if cache is not None:
        save_atomically({"fingerprint": key, "pixels": pixels, "labels": labels}, cache)
    return pixels, labels


def list_images(path):
    """The image files under ``path`` and their class numbers, as ``ImageFolder`` finds them."""
    try:
        samples = datasets.ImageFolder(path).samples  # only lists the files; nothing is decoded here
    except FileNotFoundError as error:
        raise DataNotFoundError(
            f"No images found in {path} ({error}). Give the path of a folder with the images in at least one "
            "subfolder (path/any_name/*.png), or use cifar10, mnist or fashion-mnist. A relative path starts "
            f"at the repository root, {REPO_ROOT}."
        ) from None
    return [Path(file) for file, _ in samples], [label for _, label in samples]


def fingerprint(path):
    """A hash of every file's name, size and modification time under ``path``: it changes when any file
    does. Reading these (no file contents) takes a fraction of a second for 50,000 files."""
    digest = hashlib.sha256()
    for folder, _, names in sorted(os.walk(path, followlinks=True)):
        for name in sorted(names):
            info = os.stat(os.path.join(folder, name))
            digest.update(f"{os.path.relpath(folder, path)}/{name}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def decode(file, image_size):
    """One image file -> uint8 RGB tensor ``(3, image_size, image_size)``, resized and centre-cropped.

    torchvision's decoder reads JPEG and PNG (and a few more) about twice as fast as PIL, to the same
    pixels; other formats (BMP, TIFF, ...) go through PIL.
    """
    try:
        image = decode_image(read_file(str(file)), mode=ImageReadMode.RGB)
    except RuntimeError:  # a format torchvision cannot decode
        with Image.open(file) as opened:
            image = TF.pil_to_tensor(opened.convert("RGB"))
    if image.shape[-2:] != (image_size, image_size):
        image = TF.center_crop(TF.resize(image, image_size, antialias=True), image_size)
    return image


def cache_dir():
    """Where decoded folders are kept: ``cache/`` in the data root when it is writable, else (a
    read-only data root, as in CI) the git-ignored ``.cache/`` of the repository. None if neither is."""
    return next((folder for folder in (data_dir() / "cache", REPO_CACHE) if writable(folder.parent, folder)), None)


def writable(*folders):
    """Whether we may write into each of ``folders`` (created if missing): not marked read-only, and a file
    can really be created there (a read-only disk). Root could write into a folder marked read-only anyway,
    but a shared folder marked so must stay as it is."""
    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            if not folder.stat().st_mode & stat.S_IWUSR:
                return False
            with tempfile.TemporaryFile(dir=folder):
                pass
        return True
    except OSError:
        return False


def cache_file(path, image_size):
    """The cache file of one folder at one image size; the name shows which folder it is."""
    folder = cache_dir()
    if folder is None:
        return None
    path_hash = hashlib.sha256(str(path).encode()).hexdigest()[:12]  # two folders may share a name
    return folder / f"{path.parent.name}-{path.name}-{image_size}px-{path_hash}.pt"


def save_atomically(state, path):
    """``torch.save`` through a temporary file of its own, so that an interrupted save never leaves a broken file
    and two processes saving the same file at once (two students, one shared cache) both finish."""
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
        os.chmod(partial, 0o644)  # as torch.save makes a file (mkstemp's is private)
        os.replace(partial, path)  # atomic: the old file stays until the new one is complete
    finally:
        Path(partial).unlink(missing_ok=True)  # left over only if the save failed


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
        f"Connect to the internet and run again (torchvision downloads it to {root}; `make data`, which runs "
        f"tools/prepare.py, downloads and verifies every dataset of the series), or point the "
        f"GAN_DATA_DIR environment variable at a folder that already holds it in torchvision's layout "
        f"(for MNIST: GAN_DATA_DIR=/path/to/data with /path/to/data/MNIST/raw/ inside)."
    )
