"""Small helpers: seeding, device choice, sampling and showing images."""

import random

import numpy as np
import torch
from torchvision.utils import make_grid


def seed_everything(seed):
    """Seed Python, NumPy and PyTorch so that a run can be repeated exactly."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def pick_device():
    """The fastest device this machine has: a CUDA GPU, then Apple's MPS, then the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")


def denorm(images):
    """Map images from the networks' range [-1, 1] back to [0, 1] for display."""
    return ((images + 1) / 2).clamp(0, 1)


def make_noise(n, latent_dim, seed=None, device="cpu"):
    """``n`` noise vectors z ~ N(0, I); the same ``seed`` gives the same vectors."""
    rng = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.randn(n, latent_dim, generator=rng).to(device)


def generate(G, z, labels=None):
    """Images from a generator (given ``labels`` if it is conditional), in eval mode and without
    tracking gradients."""
    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    with torch.inference_mode():
        images = G(z.to(device)) if labels is None else G(z.to(device), labels.to(device))
    G.train(was_training)
    return images.cpu()


def nearest_images(samples, images):
    """``(nearest, distance)``: for each of ``samples``, the closest of ``images`` and the root-mean-square
    difference of their pixels (0: identical). A generator that copies its training images scores near 0."""
    flat = images.flatten(1).float()
    index = torch.cat([torch.cdist(part.flatten(1).float(), flat).argmin(dim=1) for part in samples.split(256)])
    nearest = images[index]
    distance = (samples - nearest).flatten(1).pow(2).mean(dim=1).sqrt()  # exact, for the pair that was chosen
    return nearest, distance


def image_grid(images, nrow=8):
    """Images in [-1, 1] -> one (H, W, C) NumPy array in [0, 1], ready for ``imshow``."""
    grid = make_grid(denorm(images.detach().cpu()), nrow=nrow, padding=2, pad_value=1.0)
    return grid.permute(1, 2, 0).numpy()


def show_images(images, nrow=8, title=None, size=5):
    """Show a batch of images in [-1, 1] as one grid."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(image_grid(images, nrow))
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    plt.show()


def show_source(*objects, folded=None):
    """The source code of classes or functions, for a notebook to display: the lesson shows the
    package's own code, so there is one copy that cannot drift. With ``folded="a title"`` the code is
    folded under that title, for the reader to open (a reference answer, after a "Your turn" cell)."""
    import inspect

    from IPython.display import Markdown

    code = "\n\n".join(inspect.getsource(obj) for obj in objects)
    if folded:  # the blank lines let Jupyter render the code block inside the HTML
        return Markdown(f"<details><summary>{folded}</summary>\n\n```python\n{code}```\n\n</details>")
    return Markdown(f"```python\n{code}```")
