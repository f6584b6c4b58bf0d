"""Helpers for the gan-notebooks series: the notebooks teach, this package does the plumbing.

Read it in this order: ``data``, ``models``, ``training``, ``recipes`` (how each notebook trains), ``live`` and
``forecast`` (what a lesson shows while it trains), ``checkpoints`` (and the pretrained generators), ``utils``,
``quality`` (the yardsticks: legibility, the Frechet distance), then what single lessons use: ``checks`` (the
"Your turn" cells), ``toy`` (notebook 01's one-dimensional GAN), ``phone`` and ``widget`` (notebook 02), and
``exercises`` (the worked solutions' measurements). The commands that make the data and the shipped models
are in ``tools/``, outside the package.
"""

from . import checks, quality, recipes, toy
from .checkpoints import (
    CHECKPOINT_DIR,
    PRETRAINED_CGAN,
    PRETRAINED_DCGAN,
    PRETRAINED_VANILLA,
    load_checkpoint,
    load_generator,
    save_checkpoint,
)
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
