"""Saving and loading checkpoints.

A checkpoint is one ``torch.save`` file of tensors, numbers and strings only, so that it loads with
``torch.load(weights_only=True)``, which never runs code from the file. Each model is stored as its class
name, constructor arguments and weights, so it can be rebuilt without the notebook that trained it.
"""

import os
from pathlib import Path

import torch

from .data import REPO_ROOT, save_atomically
from .models import build_model

# $GAN_CHECKPOINT_DIR (relative to the repository root, or absolute): on a class server each student's checkpoints
# go to their own home (class-server/), not into the one shared repository
CHECKPOINT_DIR = REPO_ROOT / (os.environ.get("GAN_CHECKPOINT_DIR") or "checkpoints")
PRETRAINED_DIR = Path(__file__).parent / "pretrained"  # what ships with the package (tools/pretrain.py writes it)
PRETRAINED_VANILLA = PRETRAINED_DIR / "mlp_gan_mnist.pt"  # notebook 01's MLP GAN, the generator only
PRETRAINED_CGAN = PRETRAINED_DIR / "cgan_mnist.pt"  # notebook 02's conditional GAN
PRETRAINED_DCGAN = PRETRAINED_DIR / "dcgan_cifar10.pt"  # notebook 03's DCGAN on CIFAR-10, with its training log


def pack_model(model):
    """A model as plain data: class name, constructor arguments and weights."""
    return {"class": type(model).__name__, "config": model.config, "weights": model.state_dict()}


def unpack_model(packed):
    """Rebuild a model saved by ``pack_model``."""
    model = build_model(packed["class"], packed["config"])
    try:
        model.load_state_dict(packed["weights"])
    except RuntimeError:
        raise ValueError(
            f"These {packed['class']} weights do not fit this version of gan_utils (the model's layers changed "
            "since they were saved). Train again to rewrite the checkpoint."
        ) from None
    return model


def save_checkpoint(state, path):
    """Write ``state`` to ``path``; a crash or Ctrl-C halfway never leaves a broken file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomically(state, path)


def load_checkpoint(path):
    """Read a checkpoint written by ``save_checkpoint`` (safely: weights only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Run the training cell first (it writes one), or check the path."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(
            f"{path} is damaged or is not a gan_utils checkpoint ({error}). Train again to rewrite it."
        ) from None
    if not isinstance(state, dict) or "generator" not in state:
        raise ValueError(f"{path} is not a gan_utils checkpoint: it holds no generator. Train again to rewrite it.")
    return state


def load_generator(path, device="cpu"):
    """The generator saved in a checkpoint, on ``device`` and in eval mode, ready to sample from."""
    return unpack_model(load_checkpoint(path)["generator"]).to(device).eval()
