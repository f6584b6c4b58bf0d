import torch

import gan_utils


def make_trainer(seed=0, checkpoint=None, **kwargs):
    """A small GAN (hidden_dim=32) on the CPU, built from ``seed``: fast enough for unit tests."""
    gan_utils.seed_everything(seed)
    G = gan_utils.MLPGenerator(latent_dim=8, hidden_dim=32)
    D = gan_utils.MLPDiscriminator(hidden_dim=32)
    return gan_utils.GANTrainer(G, D, seed=seed, checkpoint=checkpoint, device="cpu", **kwargs)


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
