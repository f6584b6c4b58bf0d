import pytest
import torch
from PIL import Image

import gan_utils
from gan_utils import DCGANDiscriminator, DCGANGenerator


def n_parameters(model):
    return sum(p.numel() for p in model.parameters())


def test_64x64_models_have_the_seed_parameter_counts():
    assert n_parameters(DCGANGenerator(latent_dim=100, channels=3, image_size=64, width=64)) == 3_576_704
    assert n_parameters(DCGANDiscriminator(channels=3, image_size=64, width=64)) == 2_765_568


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_output_shapes(size, channels):
    G = DCGANGenerator(latent_dim=100, channels=channels, image_size=size, width=8)
    D = DCGANDiscriminator(channels=channels, image_size=size, width=8)
    images = G(torch.randn(5, 100))
    assert images.shape == (5, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert D(images).shape == (5,)


def test_the_seed_architecture_layer_by_layer():
    G = DCGANGenerator(latent_dim=100, channels=3, image_size=64, width=64)
    convs = [m for m in G.net if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in convs] == [(100, 512), (512, 256), (256, 128), (128, 64), (64, 3)]
    assert isinstance(G.net[-1], torch.nn.Tanh) and not isinstance(G.net[-2], torch.nn.BatchNorm2d)
    D = DCGANDiscriminator(channels=3, image_size=64, width=64)
    assert isinstance(D.net[1], torch.nn.LeakyReLU)  # no BatchNorm right after the input layer
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in D.net) == 3


def test_weights_start_from_the_dcgan_initialisation():
    gan_utils.seed_everything(0)
    G = DCGANGenerator(image_size=64)
    conv = torch.cat([m.weight.flatten() for m in G.net if isinstance(m, torch.nn.ConvTranspose2d)])
    scales = torch.cat([m.weight for m in G.net if isinstance(m, torch.nn.BatchNorm2d)])
    assert abs(conv.mean()) < 1e-3 and abs(conv.std() - 0.02) < 1e-3
    assert abs(scales.mean() - 1) < 5e-3 and abs(scales.std() - 0.02) < 5e-3


def test_mnist_resized_to_32(data_dir):
    images = gan_utils.load_images("mnist", image_size=32)
    assert images.shape == (60_000, 1, 32, 32)
    assert images.min() >= -1 and images.max() <= 1


def test_a_folder_of_images(cifar_samples):
    images = gan_utils.load_images(str(cifar_samples), image_size=32)
    assert images.shape == (20, 3, 32, 32)
    assert images.min() >= -1 and images.max() <= 1 and images.std() > 0.1
    bigger = gan_utils.load_images(str(cifar_samples), image_size=64)
    assert bigger.shape == (20, 3, 64, 64)


def test_missing_datasets_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(gan_utils.DataNotFoundError, match="subfolder"):
        gan_utils.load_images(str(tmp_path / "nowhere"))
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    with pytest.raises(gan_utils.DataNotFoundError, match="GAN_DATA_DIR"):
        gan_utils.load_images("cifar10", download=False)


def test_dcgan_trains_saves_every_n_steps_and_writes_a_timelapse(tmp_path, cifar_samples):
    images = gan_utils.load_images(str(cifar_samples), image_size=32)
    gan_utils.seed_everything(0)
    G, D = DCGANGenerator(latent_dim=16, image_size=32, width=8), DCGANDiscriminator(image_size=32, width=8)
    saved = []
    trainer = gan_utils.GANTrainer(G, D, checkpoint=tmp_path / "dcgan.pt", device="cpu")
    trainer.save = lambda: saved.append(trainer.step) or ""
    view = gan_utils.LiveView(gan_utils.make_noise(16, 16, seed=0), nrow=4)
    trainer.train(images, batch_size=8, steps=9, every=3, save_every=4, callback=view)
    assert saved == [4, 8, 9]  # every 4 steps and at the end
    gif = Image.open(view.save_gif(tmp_path / "timelapse.gif"))
    assert gif.n_frames == view.frames == 4  # start, steps 3, 6 and 9: one frame per logged point
    assert gif.size == (4 * 34 + 2, 4 * 34 + 2)


@pytest.mark.parametrize("size", [28, 8, 48])
def test_image_size_must_be_a_power_of_two(size):
    with pytest.raises(ValueError, match=f"power of two, 16 or more .* not {size}"):
        DCGANGenerator(image_size=size)
    with pytest.raises(ValueError, match="power of two"):
        DCGANDiscriminator(image_size=size)
