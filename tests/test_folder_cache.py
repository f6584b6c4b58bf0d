"""load_images on a folder: decoded once, then read from a cache that follows the folder's files."""

import os
import subprocess
import sys
import time

import pytest
import torch
from PIL import Image
from torchvision import datasets, transforms

import gan_utils
from gan_utils import data


def write_png(path, colour, size=(32, 32)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Four small PNGs in two classes, a writable data root, and a repository cache of our own."""
    images = tmp_path / "images"
    write_png(images / "cats" / "a.png", (255, 0, 0))
    write_png(images / "cats" / "b.png", (0, 255, 0))
    write_png(images / "dogs" / "c.png", (0, 0, 255))
    write_png(images / "dogs" / "d.png", (255, 255, 255), size=(48, 40))  # resized and centre-cropped
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(data, "REPO_CACHE", tmp_path / "repo" / ".cache")
    return images


def listing(path):
    return sorted((str(p), p.stat().st_mtime_ns) for p in path.rglob("*"))


def test_a_folder_loads_with_labels_and_is_cached_in_the_data_root(folder, tmp_path):
    before = listing(folder)
    images, labels = gan_utils.load_images(str(folder), image_size=32, with_labels=True)
    assert images.shape == (4, 3, 32, 32) and images.dtype == torch.float32
    assert labels.tolist() == [0, 0, 1, 1]  # the subfolders, in alphabetical order
    assert images[0, :, 0, 0].tolist() == [1.0, -1.0, -1.0]  # red, in [-1, 1]
    assert images[3].min().item() == 1.0  # white, after the resize
    assert listing(folder) == before  # nothing written into the image folder
    assert len(list((tmp_path / "data" / "cache").glob("*.pt"))) == 1
    assert not (tmp_path / "repo").exists()


def test_the_pixels_match_torchvisions_imagefolder(folder):
    expected = datasets.ImageFolder(folder, transform=transforms.Compose([transforms.ToTensor()]))
    images = gan_utils.load_images(str(folder), image_size=32)
    for i in range(3):  # the 32x32 images: lossless PNGs, so exactly the same pixels
        assert torch.equal(images[i], expected[i][0] * 2 - 1)


def test_a_second_load_reads_the_cache_without_decoding(folder, monkeypatch):
    first = gan_utils.load_images(str(folder), image_size=32)

    def no_decoding(file, image_size):
        raise AssertionError("decoded again, although nothing changed")

    monkeypatch.setattr(data, "decode", no_decoding)
    assert torch.equal(gan_utils.load_images(str(folder), image_size=32), first)
    with pytest.raises(AssertionError, match="decoded again"):  # another size is another cache file
        gan_utils.load_images(str(folder), image_size=16)


def test_a_changed_file_rebuilds_the_cache(folder):
    assert gan_utils.load_images(str(folder), image_size=32)[1, :, 0, 0].tolist() == [-1.0, 1.0, -1.0]
    changed = folder / "cats" / "b.png"
    write_png(changed, (0, 0, 0))
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a clock too coarse must not hide it
    assert gan_utils.load_images(str(folder), image_size=32)[1, :, 0, 0].tolist() == [-1.0, -1.0, -1.0]
    write_png(folder / "dogs" / "e.png", (0, 0, 0))  # a new file, too
    assert len(gan_utils.load_images(str(folder), image_size=32)) == 5


def test_a_damaged_cache_file_is_rebuilt(folder, tmp_path):
    first = gan_utils.load_images(str(folder), image_size=32)
    (cache,) = (tmp_path / "data" / "cache").glob("*.pt")
    cache.write_bytes(b"half a file")
    assert torch.equal(gan_utils.load_images(str(folder), image_size=32), first)
    assert torch.load(cache, weights_only=True)["pixels"].shape == (4, 3, 32, 32)


def test_a_read_only_data_root_caches_in_the_repository(folder, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    root.chmod(0o555)  # read-only, as ../shared is in CI (and respected even when running as root)
    try:
        first = gan_utils.load_images(str(folder), image_size=32)
        assert list(root.iterdir()) == []
        cached = list((tmp_path / "repo" / ".cache").glob("*.pt"))
        assert len(cached) == 1
        assert torch.equal(gan_utils.load_images(str(folder), image_size=32), first)
    finally:
        root.chmod(0o755)


def test_no_writable_cache_still_loads(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "cache_dir", lambda: None)
    assert gan_utils.load_images(str(folder), image_size=32).shape == (4, 3, 32, 32)


def test_the_cache_folder_is_git_ignored():
    ignored = (data.REPO_ROOT / ".gitignore").read_text().split()
    assert "/.cache/" in ignored and data.REPO_CACHE == data.REPO_ROOT / ".cache"


TWO_AT_ONCE = """
import sys, time, torch
import gan_utils
save = torch.save
def slow_save(*args, **kwargs):  # hold each save open for a second, so that the two overlap
    save(*args, **kwargs)
    time.sleep(1)
torch.save = slow_save
time.sleep(max(0, float(sys.argv[2]) - time.time()))  # both start at the same moment
gan_utils.data.REPO_CACHE = None
print(gan_utils.load_images(sys.argv[1], image_size=32).shape)
"""


def test_two_processes_loading_one_uncached_folder_both_succeed(folder, tmp_path):
    # Two students starting notebook 03 together on a server with one shared cache: both save the same file.
    start = str(time.time() + 5)
    runs = [subprocess.Popen([sys.executable, "-c", TWO_AT_ONCE, str(folder), start], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=os.environ) for _ in range(2)]  # fmt: skip
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "torch.Size([4, 3, 32, 32])" in out
    (cache,) = (tmp_path / "data" / "cache").glob("*")  # one whole file, no temporary file left over
    assert torch.load(cache, weights_only=True)["pixels"].shape == (4, 3, 32, 32)
