import os
from pathlib import Path

import pytest

import gan_utils

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def data_dir_env():
    """Tests read MNIST from GAN_DATA_DIR; when it is unset, from ../shared/data beside the checkout."""
    if not os.environ.get("GAN_DATA_DIR") and SHARED_DATA.is_dir():
        os.environ["GAN_DATA_DIR"] = str(SHARED_DATA)


@pytest.fixture(scope="session")
def mnist(data_dir_env):
    return gan_utils.load_mnist(train=True)


@pytest.fixture
def small_images(mnist):
    """1,024 real digits: enough for a few training steps."""
    return mnist[0][:1024]
