"""Fixtures shared by the tests: where the data is, and the real digits most tests train on.

The data folder is ``$GAN_DATA_DIR`` when set (relative to the repository root, as the package reads it), else
``../shared/data`` beside the checkout when there (these machines and CI), else ``data/`` in the repository (what
``make data`` fills). A test that needs data asks for ``data_dir`` or ``cifar_samples`` and is skipped, with the
folder and the command to fill it in the reason, when the folder is missing.
"""

import os
from pathlib import Path

import pytest

import gan_utils

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def find_data_dir():
    """The folder the tests read data from (see the module's docstring); it may not exist."""
    if os.environ.get("GAN_DATA_DIR"):
        return REPO_ROOT / os.environ["GAN_DATA_DIR"]  # an absolute path stays as it is
    return SHARED_DATA if SHARED_DATA.is_dir() else REPO_ROOT / "data"


@pytest.fixture(scope="session", autouse=True)
def data_dir_env():
    """Every test (and every notebook a test runs) reads the same folder: GAN_DATA_DIR is set to it when unset."""
    if not os.environ.get("GAN_DATA_DIR") and SHARED_DATA.is_dir():
        os.environ["GAN_DATA_DIR"] = str(SHARED_DATA)


@pytest.fixture(scope="session", autouse=True)
def checkpoints_per_worker(tmp_path_factory):
    """Under pytest-xdist (`make test-notebooks` runs the slow tests two at a time) each worker's notebooks save their
    checkpoints in a folder of their own: two runs of one lesson must not write and read the same file at once."""
    if os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("GAN_CHECKPOINT_DIR"):
        os.environ["GAN_CHECKPOINT_DIR"] = str(tmp_path_factory.mktemp("checkpoints"))


@pytest.fixture
def float32(monkeypatch):
    """Train in float32 whatever the CPU (GAN_BFLOAT16=0, unless the environment says otherwise): the same numbers on
    every machine, and fast, where a CPU with native bfloat16 spends ten times longer on the tests' tiny networks in
    bfloat16. The precision's own tests set or unset GAN_BFLOAT16 themselves, and ask for bfloat16 by name."""
    if "GAN_BFLOAT16" not in os.environ:
        monkeypatch.setenv("GAN_BFLOAT16", "0")


@pytest.fixture(scope="session")
def data_dir(data_dir_env):
    """The data folder, with MNIST in it; the test is skipped, saying how to fill the folder, when it is not there."""
    root = find_data_dir()
    if not (root / "MNIST").is_dir():
        pytest.skip(f"no MNIST in {root}: run `make data` (or set GAN_DATA_DIR to a folder that holds the datasets)")
    return root


@pytest.fixture(scope="session")
def cifar_samples(data_dir):
    """``cifar10-samples``: a few CIFAR-10 images in ImageFolder layout that smoke runs train on (CI has it in
    ../shared/data; ``make data`` does not write it)."""
    samples = data_dir / "cifar10-samples"
    if not samples.is_dir():
        pytest.skip(
            f"no {samples} (a few CIFAR-10 images in ImageFolder layout, as CI has in ../shared/data): set "
            "GAN_DATA_DIR to a folder that holds cifar10-samples"
        )
    return samples


@pytest.fixture(scope="session")
def smoke_dataset(data_dir_env):
    """What notebook 03 trains on in smoke mode (its GAN_DATASET), as `make test-notebooks` runs it: the few images
    of cifar10-samples when there, else CIFAR-10 itself (downloaded into the data folder if missing)."""
    samples = find_data_dir() / "cifar10-samples"
    return str(samples) if samples.is_dir() else "cifar10"


@pytest.fixture(scope="session")
def mnist(data_dir):
    return gan_utils.load_mnist(train=True, download=False)


@pytest.fixture
def small_images(mnist):
    """1,024 real digits: enough for a few training steps."""
    return mnist[0][:1024]
