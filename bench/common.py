"""What the benchmark scripts share: the seed-style baseline, the notebooks' models, and the results file.

The baseline is the training loop of the seed documents, written with today's API and given the same
networks and settings as the notebooks: torchvision's ``MNIST`` dataset with ``ToTensor`` and
``Normalize`` applied to every image as it is loaded, a ``DataLoader`` with two worker processes
(a new pair each epoch), the seeds' update order (D on real, D on fakes, then G) and one ``.item()``
per loss per step. Only how the data is fed, how the step is run and the memory layout of the convolutions'
weights (PyTorch's default here, channels_last in ``gan_utils`` on a CPU) differ from ``gan_utils``.
"""

import datetime
import os
import platform
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars in the middle of the tables (read by tqdm at import)

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402

import gan_utils  # noqa: E402
from gan_utils import recipes  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


# --- the notebooks' models: their recipes in gan_utils.recipes ------------------------------------------


def dcgan_mnist(seed=0):
    """Notebook 03's DCGAN on MNIST at 32x32 (one channel), as its MNIST run and the quality checks run it."""
    return recipes.dcgan(seed, channels=1, image_size=32)


# name: (trainer builder, image size); the batch size is the recipe's (trainer.batch_size)
NOTEBOOK_MODELS = {
    "01 MLP GAN": (recipes.vanilla_gan, 28),
    "02 cGAN": (recipes.conditional_gan, 28),
    "03 DCGAN 32x32": (dcgan_mnist, 32),
}


# --- the seed-style baseline ----------------------------------------------------------------------------


def seed_style_batches(batch_size, image_size=28, num_workers=2):
    """Endless ``(images, labels)`` batches of MNIST, loaded the way the seeds load them."""
    convert = [transforms.Resize(image_size)] if image_size != 28 else []
    convert += [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]  # per image: [0, 255] -> [-1, 1]
    dataset = datasets.MNIST(gan_utils.data_dir(), train=True, transform=transforms.Compose(convert))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=num_workers, drop_last=True)
    while True:
        yield from loader


class SeedStyleLoop:
    """The seeds' training loop for a ``GANTrainer``'s networks, learning rate, betas and label smoothing
    (give it a trainer of its own: it trains that trainer's networks)."""

    def __init__(self, trainer, batch_size, image_size=28, num_workers=2):
        # The networks as the seeds have them: GANTrainer stores convolution weights channels_last on a
        # CPU (a speed-up of gan_utils' loop), the seeds keep PyTorch's default layout.
        self.G = trainer.G.to(memory_format=torch.contiguous_format)
        self.D = trainer.D.to(memory_format=torch.contiguous_format)
        settings = trainer.opt_G.param_groups[0]  # lr and betas as the trainer has them now
        lr, betas = settings["lr"], settings["betas"]
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)  # plain Adam, as in the seeds
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.real_label = 1.0 - trainer.label_smoothing
        self.criterion = nn.BCEWithLogitsLoss()
        self.conditional = hasattr(self.G, "num_classes")
        self.batches = seed_style_batches(batch_size, image_size, num_workers)
        self.step = 0
        self.losses = []

    def train_step(self):
        images, labels = next(self.batches)
        n = len(images)
        extra = (labels,) if self.conditional else ()
        self.D.zero_grad()  # D on real images
        error_real = self.criterion(self.D(images, *extra), torch.full((n,), self.real_label))
        error_real.backward()
        fake = self.G(torch.randn(n, self.G.latent_dim), *extra)  # D on fakes
        error_fake = self.criterion(self.D(fake.detach(), *extra), torch.zeros(n))
        error_fake.backward()
        self.opt_D.step()
        self.G.zero_grad()  # G
        error_G = self.criterion(self.D(fake, *extra), torch.ones(n))
        error_G.backward()
        self.opt_G.step()
        self.losses.append((error_real.item() + error_fake.item(), error_G.item()))
        self.step += 1

    def train(self, seconds):
        """Train for ``seconds`` of wall time (waiting for the data loader included)."""
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            self.train_step()


# --- a race between two ways of training ------------------------------------------------------------------


class Contender:
    """One way of training in a race: ``train(seconds)`` trains it, ``steps()`` counts its steps so far.
    Its clock counts training time only, so that measuring it between turns costs it nothing."""

    def __init__(self, name, train, steps, batch_size):
        self.name, self.train, self.steps, self.batch_size = name, train, steps, batch_size
        self.seconds = 0.0

    def turn(self, seconds):
        """Train for ``seconds``; returns this turn's training images per second."""
        started, steps = time.perf_counter(), self.steps()
        self.train(seconds)
        took = time.perf_counter() - started
        self.seconds += took
        return (self.steps() - steps) * self.batch_size / took

    def images_per_second(self):
        return self.steps() * self.batch_size / self.seconds


# --- the results file -----------------------------------------------------------------------------------


def machine():
    """One line saying what ran the benchmark."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"nproc {os.cpu_count()}, CPU {cpu}, torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
        f"Python {platform.python_version()}"
    )


def command():
    """The command line that ran this script, as someone would type it from the repository root."""
    return " ".join(["GAN_DATA_DIR=" + os.environ.get("GAN_DATA_DIR", "data"), ".venv/bin/python", *sys.argv])


def add_docs_arguments(parser):
    """The options every benchmark script has: where to write its results, or not to."""
    parser.add_argument("--docs", default=DOCS, help="results file (default docs/benchmarks.md)")
    parser.add_argument("--no-docs", action="store_true", help="print only; do not write the results file")


def report(name, text, args):
    """Print the results and, unless ``--no-docs``, write them into the results file."""
    print()
    print(text)
    if not args.no_docs:
        write_results(name, text, args.docs)


def write_results(name, text, path=DOCS):
    """Put ``text`` into ``path`` between this script's markers, replacing its previous results."""
    today = datetime.date.today().isoformat()
    block = (
        f"<!-- begin {name} -->\n"
        f"Measured {today} with `{command()}`  \n"
        f"Machine: {machine()}\n\n{text.rstrip()}\n"
        f"<!-- end {name} -->"
    )
    path = Path(path)
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.DOTALL)
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else old.rstrip() + f"\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)
    print(f"\nwrote these results to {path}")


def table(header, rows):
    """A Markdown table (it also reads well as plain text)."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
