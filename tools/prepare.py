"""Get every dataset of the series into the data folder before class, and check what is there.

    python tools/prepare.py                  # download what is missing, then verify everything
    python tools/prepare.py --check          # verify only; never download (a shared, read-only folder)
    python tools/prepare.py mnist cifar10    # only these: mnist, fashion-mnist, cifar10

``make data`` runs the first line. The data folder is the package's: ``$GAN_DATA_DIR`` (a relative path
starts at the repository root), else ``data/`` in the repository. Once it holds the three datasets, the
notebooks need no network: they read MNIST (notebooks 01 and 02), and Fashion-MNIST or CIFAR-10
(notebook 03) from there.

Verifying means what torchvision checks and a little more: every file's MD5 against the published one,
then opening the set with torchvision and counting its training and test images. A download goes to a
temporary folder inside the data folder (torchvision shows a progress bar for each file) and is moved into
place only once it verifies, so a failed or interrupted download leaves nothing half-written behind. A
folder that is read-only (marked so, or on a read-only disk) is only checked: nothing is written into it.

The exit status is 0 when every dataset asked for is there and verified, 1 otherwise, after a summary
that says what is missing and what to do.
"""

import argparse
import os
import socket
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from torchvision import datasets
from torchvision.datasets.utils import calculate_md5
from tqdm.auto import tqdm

from gan_utils.data import data_dir, writable
from gan_utils.quality import CLASSES as CIFAR10_CLASSES

DOWNLOAD_TIMEOUT = 60  # seconds without an answer before a download gives up (a stalled school proxy)


@dataclass(frozen=True)
class Dataset:
    """One dataset of the series, in the layout torchvision reads."""

    name: str  # as GAN_DATASET spells it
    title: str
    loader: type  # the torchvision dataset class
    folder: str  # where its files are, inside the data folder
    md5: dict  # file name -> published MD5 of the file as torchvision reads it
    counts: tuple  # (training images, test images)
    used_by: str


def _idx_md5(train_images, train_labels, test_images, test_labels):
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return dict(zip(names, (train_images, train_labels, test_images, test_labels)))


DATASETS = {
    "mnist": Dataset(
        "mnist",
        "MNIST",
        datasets.MNIST,
        "MNIST/raw",
        # the uncompressed IDX files (torchvision itself lists the MD5s of the .gz downloads)
        _idx_md5(
            "6bbc9ace898e44ae57da46a324031adb",
            "a25bea736e30d166cdddb491f175f624",
            "2646ac647ad5339dbf082846283269ea",
            "27ae3e4e09519cfbb04c329615203637",
        ),
        (60_000, 10_000),
        "notebooks 01 and 02, notebook 03 with GAN_DATASET=mnist",
    ),
    "fashion-mnist": Dataset(
        "fashion-mnist",
        "Fashion-MNIST",
        datasets.FashionMNIST,
        "FashionMNIST/raw",
        _idx_md5(
            "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "9018921c3c673c538a1fc5bad174d6f9",
            "8181f5470baa50b63fa0f6fddb340f0a",
            "15d484375f8d13e6eb1aabb0c3f46965",
        ),
        (60_000, 10_000),
        "notebook 03 with GAN_DATASET=fashion-mnist",
    ),
    "cifar10": Dataset(
        "cifar10",
        "CIFAR-10",
        datasets.CIFAR10,
        datasets.CIFAR10.base_folder,  # cifar-10-batches-py
        {
            name: md5
            for name, md5 in datasets.CIFAR10.train_list
            + datasets.CIFAR10.test_list
            + [[datasets.CIFAR10.meta["filename"], datasets.CIFAR10.meta["md5"]]]
        },
        (50_000, 10_000),
        "notebook 03 (its default) and its yardstick",
    ),
}


@dataclass
class Status:
    """What ``check`` found: ``state`` is "ok", "missing" or "damaged"; ``detail`` says more, in words."""

    dataset: Dataset
    state: str
    detail: str
    note: str = ""  # e.g. an offline alternative that is there

    @property
    def ok(self):
        return self.state == "ok"


# --- checking ------------------------------------------------------------------------------------------


def check(dataset, root):
    """Whether ``dataset`` is complete and intact in the data folder ``root``: every file's MD5, then
    torchvision opens both splits and they hold the published number of images."""
    folder = Path(root) / dataset.folder
    absent = [name for name in dataset.md5 if not (folder / name).is_file()]
    if len(absent) == len(dataset.md5):
        return Status(dataset, "missing", f"{dataset.folder}/ is not in the data folder")
    if absent:
        return Status(dataset, "damaged", f"incomplete: {', '.join(absent)} missing from {dataset.folder}/")
    sizes = {name: (folder / name).stat().st_size for name in dataset.md5}
    wrong = []
    with tqdm(total=sum(sizes.values()), unit="B", unit_scale=True, desc=f"checking {dataset.title}") as bar:
        for name, md5 in dataset.md5.items():
            if calculate_md5(folder / name) != md5:
                wrong.append(name)
            bar.update(sizes[name])
    if wrong:
        return Status(dataset, "damaged", f"wrong MD5 (a damaged or different file): {', '.join(wrong)}")
    try:
        found = tuple(len(dataset.loader(str(root), train=train, download=False)) for train in (True, False))
    except Exception as error:  # torchvision could not read files whose MD5 is right: say what it said
        return Status(dataset, "damaged", f"torchvision cannot read it: {_one_line(error)}")
    if found != dataset.counts:
        return Status(dataset, "damaged", f"{found[0]:,} + {found[1]:,} images instead of {_counts(dataset.counts)}")
    return Status(dataset, "ok", f"{_counts(found)} images, {len(dataset.md5)} files' MD5 as published")


def cifar10_jpeg(root):
    """The JPEG copy of CIFAR-10 (``cifar10-jpeg/{train,test}/<class>/*.jpg``, as in ../shared/data), which
    notebook 03 can train on as a folder and its yardstick reads, if it is complete: None otherwise."""
    counts = []
    for split in ("train", "test"):
        folder = Path(root) / "cifar10-jpeg" / split
        if not folder.is_dir() or tuple(sorted(p.name for p in folder.iterdir() if p.is_dir())) != CIFAR10_CLASSES:
            return None
        counts.append(sum(len(os.listdir(folder / name)) for name in CIFAR10_CLASSES))
    return tuple(counts) if tuple(counts) == DATASETS["cifar10"].counts else None


# --- downloading ---------------------------------------------------------------------------------------


def download(dataset, root):
    """Download ``dataset`` with torchvision into a temporary folder inside ``root``, verify it there, and
    move its files into place. Returns the ``Status`` of the result; never raises for a failed download."""
    root = Path(root)
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as staging:
            print(f"downloading {dataset.title} ...", flush=True)
            try:
                dataset.loader(staging, train=True, download=True)  # fetches both splits (progress bars)
            except Exception as error:  # no network, a proxy, a full disk, a wrong checksum, ...
                return Status(dataset, "missing", f"the download failed: {_one_line(error)}")
            status = check(dataset, staging)
            if not status.ok:
                return Status(dataset, "damaged", f"downloaded, but {status.detail}")
            target = root / dataset.folder
            target.mkdir(parents=True, exist_ok=True)
            for name in dataset.md5:  # only the files torchvision reads, not the archives they came in
                os.replace(Path(staging) / dataset.folder / name, target / name)
    except KeyboardInterrupt:
        return Status(dataset, "missing", "the download was interrupted (nothing was left half-written)")
    finally:
        socket.setdefaulttimeout(previous_timeout)
    return check(dataset, root)


# --- the command ---------------------------------------------------------------------------------------


def prepare(names=tuple(DATASETS), root=None, allow_download=True, out=sys.stdout):
    """Check each dataset in ``names`` and download the missing or damaged ones (if allowed and the folder
    is writable). Prints what it does and a summary to ``out``; returns the list of ``Status``."""
    root = Path(os.path.abspath(root if root is not None else data_dir()))  # "a/../b" as "b", links kept
    can_write = allow_download and writable(root)
    print(f"Data folder: {root}", file=out)
    if allow_download and not can_write:
        print("  It is read-only (or cannot be created): this only checks what is there.", file=out)
    results = []
    for name in names:
        dataset = DATASETS[name]
        status = check(dataset, root)
        if not status.ok and can_write:
            if status.state == "damaged":
                print(f"{dataset.title}: {status.detail}; downloading it again", file=out)
            found, status = status, download(dataset, root)
            if found.state == "damaged" and not status.ok:  # what is there is still damaged: say both
                status = Status(dataset, "damaged", f"{found.detail}; {status.detail}")
        if name == "cifar10" and not status.ok and (counts := cifar10_jpeg(root)):
            folder = root / "cifar10-jpeg"
            status.note = (
                f"A JPEG copy is there instead ({folder}: {_counts(counts)} images). Offline, notebook 03 trains "
                f"on it with GAN_DATASET={folder / 'train'}, and its yardstick reads the copy from there."
            )
        results.append(status)
        print(f"{dataset.title}: {status.state}", file=out, flush=True)
    print(summary(results, root, can_write, allow_download), file=out)
    return results


def summary(results, root, can_write, allow_download):
    """The closing report: one line per dataset, then what to do about the ones that are not there."""
    width = max(len("dataset"), *(len(status.dataset.title) for status in results))
    indent = " " * (width + 12)
    lines = ["", f"{'dataset':<{width}}  {'state':<8}  details"]
    for status in results:
        for i, text in enumerate((status.detail, f"used by {status.dataset.used_by}", status.note)):
            start = f"{status.dataset.title:<{width}}  {status.state:<8}  " if i == 0 else indent
            if text:
                lines.append(fill(text, initial_indent=start, subsequent_indent=indent))
    bad = [status for status in results if not status.ok]
    if not bad:
        lines += ["", f"All {len(results)} datasets are there and verified: the notebooks can run without a network."]
        return "\n".join(lines)
    names = " ".join(status.dataset.name for status in bad)
    lines += ["", f"Not ready: {', '.join(status.dataset.title for status in bad)}. What to do:"]
    advice = []
    if any(status.note for status in bad):
        advice.append("for now: use what the notes above name (the notebooks work with it offline), or:")
    if not allow_download:
        advice.append(f"run without --check to download them into {root} (needs the internet).")
    elif not can_write:
        advice.append(
            f"{root} is read-only. On a machine with internet, run `make data` with GAN_DATA_DIR set to a "
            "writable folder, then copy that folder's contents here (or point GAN_DATA_DIR at it)."
        )
    else:
        advice.append(
            "connect to the internet (or set HTTPS_PROXY / HTTP_PROXY for a school proxy) and run `make data` "
            f"again, or `python tools/prepare.py {names}`; what is already there is kept, not downloaded again."
        )
        advice.append(
            "or copy the folders from a machine that has them (same layout: MNIST/raw/, FashionMNIST/raw/, "
            f"cifar-10-batches-py/) into {root}, or point GAN_DATA_DIR at a folder that holds them."
        )
    lines += [fill(text, initial_indent="- ", subsequent_indent="  ") for text in advice]
    return "\n".join(lines)


def _counts(counts):
    return f"{counts[0]:,} training + {counts[1]:,} test"


def _one_line(error):
    """An exception as one short line: torchvision's download errors span several."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def fill(text, **indents):
    """``text`` wrapped at 110 characters, never inside a word or a path (a path stays copyable)."""
    return textwrap.fill(text, 110, break_long_words=False, break_on_hyphens=False, **indents)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Download the series' datasets into the data folder ($GAN_DATA_DIR, else data/) and verify them."
    )
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(DATASETS)} (default: all of them)")
    parser.add_argument("--check", action="store_true", help="only verify what is there; download nothing")
    args = parser.parse_args(argv)
    unknown = [name for name in args.datasets if name not in DATASETS]
    if unknown:
        parser.error(f"unknown dataset {', '.join(unknown)}: choose from {', '.join(DATASETS)}")
    results = prepare(args.datasets or tuple(DATASETS), allow_download=not args.check)
    return 0 if all(status.ok for status in results) else 1


if __name__ == "__main__":
    sys.exit(main())
