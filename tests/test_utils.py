"""gan_utils.utils: nearest_images, which notebook 03 uses to catch a generator that copies its training images."""

import torch

from gan_utils.utils import nearest_images


def test_nearest_images_finds_the_copied_image_at_distance_zero():
    images = torch.rand(50, 3, 8, 8) * 2 - 1
    copies = images[[7, 0, 42]]
    nearest, distance = nearest_images(copies, images)
    assert torch.equal(nearest, copies)
    assert torch.equal(distance, torch.zeros(3))


def test_nearest_images_picks_the_closest_and_reports_its_rms_distance():
    images = torch.stack([torch.full((1, 4, 4), value) for value in (-1.0, 0.0, 0.5, 1.0)])
    samples = torch.stack([torch.full((1, 4, 4), value) for value in (0.4, -0.9, 0.9)])
    nearest, distance = nearest_images(samples, images)
    assert nearest.shape == samples.shape
    assert nearest[:, 0, 0, 0].tolist() == [0.5, -1.0, 1.0]
    assert torch.allclose(distance, torch.tensor([0.1, 0.1, 0.1]))


def test_nearest_images_works_in_chunks_of_samples():
    images = torch.randn(20, 1, 4, 4)
    samples = images[torch.arange(600) % 20] + 0.01  # more samples than one chunk of 256
    nearest, distance = nearest_images(samples, images)
    assert torch.equal(nearest, images[torch.arange(600) % 20])
    assert torch.allclose(distance, torch.full((600,), 0.01), atol=1e-5)
