"""Helpers for the gan-notebooks series: the notebooks teach, this package does the plumbing.

Read it top to bottom in this order: ``data``, ``models``, ``training``, ``recipes`` (how
each notebook trains), ``live``, ``forecast`` (what this machine will reach in the budget), ``checkpoints``,
``utils``, ``checks`` (the "Your turn" cells' checks) and ``toy`` (notebook 01's one-dimensional GAN); then,
for notebook 02, ``phone``,
``widget``, ``legibility`` and ``pretrain``, and for notebook 03, ``cifar_quality``. The last three are also commands
(``python -m gan_utils.legibility``, ``python -m gan_utils.pretrain``, ``python -m gan_utils.cifar_quality``),
so import them by name: ``from gan_utils.legibility import legibility``.
"""

from . import checks, recipes, toy
from .checkpoints import CHECKPOINT_DIR, load_checkpoint, load_generator, save_checkpoint
from .data import DataNotFoundError, data_dir, load_cifar10, load_images, load_mnist
from .forecast import Forecast
from .live import LiveView, plot_history
from .models import (
    ConditionalDiscriminator,
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    build_model,
)
from .phone import parse_phone_number, render_phone_number
from .training import GANTrainer, KeepBest, TrainingDiverged, update_D, update_G
from .utils import denorm, generate, image_grid, make_noise, pick_device, seed_everything, show_images, show_source
from .widget import digit_picker

__all__ = [
    "checks",
    "recipes",
    "toy",
    "CHECKPOINT_DIR",
    "ConditionalDiscriminator",
    "ConditionalGenerator",
    "digit_picker",
    "parse_phone_number",
    "render_phone_number",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DataNotFoundError",
    "Forecast",
    "GANTrainer",
    "KeepBest",
    "LiveView",
    "MLPDiscriminator",
    "MLPGenerator",
    "TrainingDiverged",
    "build_model",
    "data_dir",
    "denorm",
    "generate",
    "image_grid",
    "load_checkpoint",
    "load_cifar10",
    "load_generator",
    "load_images",
    "load_mnist",
    "make_noise",
    "pick_device",
    "plot_history",
    "save_checkpoint",
    "seed_everything",
    "show_images",
    "show_source",
    "update_D",
    "update_G",
]
