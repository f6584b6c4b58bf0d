"""``python tools/prepare.py`` (``make data``): download into the data folder, verify, and say clearly
what is missing. The downloads are served from this machine (a tiny MNIST-format set, gzipped, on a local
HTTP server), so the whole path through torchvision runs without the internet."""

import dataclasses
import functools
import gzip
import hashlib
import http.server
import os
import socket
import stat
import struct
import threading

import pytest
import torch
from conftest import SHARED_DATA
from torchvision import datasets

import gan_utils
from tools import prepare
from tools.prepare import DATASETS, Dataset, check, cifar10_jpeg

TRAIN, TEST = 5, 3  # images in the tiny set


def idx_images(n, seed):
    pixels = torch.randint(0, 256, (n, 28, 28), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)
    return struct.pack(">IIII", 0x803, n, 28, 28) + pixels.numpy().tobytes()


def idx_labels(n):
    return struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))


def md5(data):
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """A five-plus-three-image set in MNIST's format: its files, the spec ``prepare`` checks it against
    (in place of the real MNIST's), and a local server that torchvision downloads it from."""
    files = {
        "train-images-idx3-ubyte": idx_images(TRAIN, 0),
        "train-labels-idx1-ubyte": idx_labels(TRAIN),
        "t10k-images-idx3-ubyte": idx_images(TEST, 1),
        "t10k-labels-idx1-ubyte": idx_labels(TEST),
    }
    served = tmp_path / "server"
    served.mkdir()
    resources = []
    for name, data in files.items():
        packed = gzip.compress(data, mtime=0)
        (served / f"{name}.gz").write_bytes(packed)
        resources.append((f"{name}.gz", md5(packed)))
    checksums = {name: md5(data) for name, data in files.items()}
    spec = Dataset("mnist", "tiny MNIST", datasets.MNIST, "MNIST/raw", checksums, (TRAIN, TEST), "")
    monkeypatch.setitem(DATASETS, "mnist", spec)
    monkeypatch.setattr(datasets.MNIST, "resources", resources)

    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=served))
    # a short poll: shutdown() waits for the next one (0.5 s by default, at the end of every test)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    monkeypatch.setattr(datasets.MNIST, "mirrors", [f"http://127.0.0.1:{server.server_address[1]}/"])
    yield spec, files, requests
    server.shutdown()
    server.server_close()


def unreachable(monkeypatch):
    """Point the downloads at a port of this machine where nothing listens: the network is 'cut'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once the probe closes
    monkeypatch.setattr(datasets.MNIST, "mirrors", [f"http://127.0.0.1:{port}/"])


def run(tmp_path, *names, allow_download=True):
    log = tmp_path / "out.txt"
    with open(log, "w") as out:
        results = prepare.prepare(names, root=tmp_path / "data", allow_download=allow_download, out=out)
    return results, log.read_text()


def test_downloads_verifies_and_then_works_offline(tmp_path, tiny_mnist, monkeypatch):
    spec, files, requests = tiny_mnist
    (status,), text = run(tmp_path, "mnist")
    assert status.ok, text
    assert len(requests) >= 4  # the four files came from the server
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(files)  # the files torchvision reads; the .gz archives are gone
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".download-")]
    assert "All 1 datasets are there and verified" in text

    unreachable(monkeypatch)  # now cut the network: the next check and the package read the folder only
    count = len(requests)
    (again,), _ = run(tmp_path, "mnist")
    assert again.ok and len(requests) == count
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))
    images, labels = gan_utils.load_mnist(train=False, download=False)
    assert images.shape == (TEST, 1, 28, 28) and labels.tolist() == [0, 1, 2]


def test_failed_download_says_what_to_do_and_leaves_nothing(tmp_path, tiny_mnist, monkeypatch):
    unreachable(monkeypatch)
    (status,), text = run(tmp_path, "mnist")
    assert status.state == "missing" and "the download failed" in status.detail
    assert "Traceback" not in text and "Not ready: tiny MNIST" in text and "connect to the internet" in text
    assert os.listdir(tmp_path / "data") == []  # no half-written download


def test_a_damaged_file_is_found_and_replaced(tmp_path, tiny_mnist):
    spec, files, _ = tiny_mnist
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(files["t10k-labels-idx1-ubyte"][:-1])  # one byte short
    found = check(spec, tmp_path / "data")
    assert found.state == "damaged" and "t10k-labels-idx1-ubyte" in found.detail
    (status,), text = run(tmp_path, "mnist")
    assert status.ok and "downloading it again" in text
    assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == files["t10k-labels-idx1-ubyte"]


def test_a_damaged_file_stays_reported_when_the_download_fails(tmp_path, tiny_mnist, monkeypatch):
    _, files, _ = tiny_mnist
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, data in files.items():
        (raw / name).write_bytes(data if name != "train-images-idx3-ubyte" else data[:100])
    unreachable(monkeypatch)
    (status,), _ = run(tmp_path, "mnist")
    assert status.state == "damaged" and "wrong MD5" in status.detail and "download failed" in status.detail


def test_wrong_number_of_images_is_damaged(tmp_path, tiny_mnist, monkeypatch):
    spec, _, _ = tiny_mnist
    run(tmp_path, "mnist")
    status = check(dataclasses.replace(spec, counts=(60_000, 10_000)), tmp_path / "data")
    assert status.state == "damaged" and "5 + 3 images instead of 60,000 training + 10,000 test" in status.detail


def read_only(folder):
    """Mark ``folder`` and everything in it read-only, as ../shared is in CI."""
    for parent, _, names in os.walk(folder, topdown=False):
        for name in names:
            os.chmod(os.path.join(parent, name), 0o444)
        os.chmod(parent, 0o555)


def writable_again(folder):
    for parent, _, _ in os.walk(folder):
        os.chmod(parent, stat.S_IRWXU)
    os.chmod(folder, stat.S_IRWXU)


def test_read_only_folder_is_checked_never_written(tmp_path, tiny_mnist, monkeypatch):
    _, files, requests = tiny_mnist
    run(tmp_path, "mnist")  # download first, then make the whole folder read-only
    data = tmp_path / "data"
    read_only(data)
    try:
        count = len(requests)
        (status,), text = run(tmp_path, "mnist")
        assert status.ok and len(requests) == count and "read-only" in text
        monkeypatch.setenv("GAN_DATA_DIR", str(data))  # the package reads it as it is
        images, _ = gan_utils.load_mnist(train=True, download=False)
        assert len(images) == TRAIN
        assert sorted(os.listdir(data)) == ["MNIST"] and sorted(os.listdir(data / "MNIST" / "raw")) == sorted(files)
    finally:
        writable_again(data)


def test_read_only_folder_without_the_data_says_where_to_get_it(tmp_path, tiny_mnist):
    _, _, requests = tiny_mnist
    data = tmp_path / "data"
    data.mkdir()
    read_only(data)
    try:
        (status,), text = run(tmp_path, "mnist")
        assert status.state == "missing" and requests == [] and os.listdir(data) == []
        assert "is read-only" in text and "copy that folder's contents here" in text
    finally:
        writable_again(data)


def test_check_only_never_downloads(tmp_path, tiny_mnist):
    _, _, requests = tiny_mnist
    (status,), text = run(tmp_path, "mnist", allow_download=False)
    assert status.state == "missing" and requests == []
    assert "run without --check" in text


def test_command_exit_status_and_unknown_names(tmp_path, tiny_mnist, monkeypatch, capsys):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))
    assert prepare.main(["--check", "mnist"]) == 1
    assert prepare.main(["mnist"]) == 0
    assert prepare.main(["--check", "mnist"]) == 0
    with pytest.raises(SystemExit) as error:
        prepare.main(["imagenet"])
    assert error.value.code == 2 and "unknown dataset imagenet" in capsys.readouterr().err


def test_cifar10_jpeg_copy_counts_only_when_complete(tmp_path):
    for split, n in (("train", 2), ("test", 1)):
        for name in prepare.CIFAR10_CLASSES:
            folder = tmp_path / "cifar10-jpeg" / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}.jpg").write_bytes(b"")
    assert cifar10_jpeg(tmp_path) is None  # 20 + 10 images, not 50,000 + 10,000
    (tmp_path / "cifar10-jpeg" / "test" / "truck").rename(tmp_path / "cifar10-jpeg" / "test" / "lorry")
    assert cifar10_jpeg(tmp_path) is None


@pytest.mark.skipif(not (SHARED_DATA / "MNIST").is_dir(), reason="needs ../shared/data")
def test_the_shared_read_only_folder(tmp_path, monkeypatch):
    """../shared/data, as on these machines and in CI: MNIST and Fashion-MNIST verify; CIFAR-10 is there
    only as the JPEG copy, which the report names, with the setting that uses it."""
    monkeypatch.setenv("GAN_DATA_DIR", str(SHARED_DATA))
    log = tmp_path / "out.txt"
    with open(log, "w") as out:
        results = prepare.prepare(out=out)
    text = log.read_text()
    states = {status.dataset.name: status.state for status in results}
    assert states["mnist"] == states["fashion-mnist"] == "ok"
    if not (SHARED_DATA / "cifar-10-batches-py").is_dir():
        assert states["cifar10"] == "missing" and "Not ready: CIFAR-10" in text
        if cifar10_jpeg(SHARED_DATA):
            assert f"GAN_DATASET={SHARED_DATA / 'cifar10-jpeg' / 'train'}" in text
