"""What every benchmark shares: the notebooks' recipes, one way to tweak a trainer, the seed-style baseline,
one race of set-ups taking turns, and the results file.

A **race** trains two or more set-ups (``Contender``s) in alternating turns (A, B, A, B, ...): the machine is
shared and its speed changes from minute to minute, so only ratios measured in the same run, by set-ups that
took turns, mean anything. Each contender keeps its own clock (training time only: measuring between turns
costs it nothing), its own stream of PyTorch's random numbers (dropout draws from it: its run is the one it
would make alone) and its curve (the scores measured between turns). The seed-style baseline is
``SeedStyleLoop`` (docs/benchmarks.md says what it keeps of the source posts).
"""

import contextlib
import datetime
import os
import platform
import re
import shlex
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.flop_counter import FlopCounterMode
from torchvision import datasets, transforms

import gan_utils
from gan_utils import recipes
from gan_utils.quality import cifar_quality, legibility, mnist_quality, real_folder

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"

# --- the notebooks' recipes (gan_utils.recipes) and their data ------------------------------------------------

RECIPES = {  # name: (title, the recipe, its data: "mnist", "mnist32" or a folder of colour images)
    "01": ("01 MLP GAN", recipes.vanilla_gan, "mnist"),
    "02": ("02 cGAN", recipes.conditional_gan, "mnist"),
    "03": ("03 DCGAN 32x32", partial(recipes.dcgan, channels=1, image_size=32), "mnist32"),  # on MNIST
    "03-cifar10": ("03 DCGAN CIFAR-10", recipes.dcgan, "cifar10"),  # the JPEG copy of CIFAR-10
    "03-64": ("03 DCGAN 64x64", partial(recipes.dcgan, image_size=64), None),  # step costs only: random data
}


def recipe(model, seed=0, **arguments):
    return RECIPES[model][1](seed, **arguments)


def data(model):
    """``(images, labels)`` as the notebook trains on them (labels only for the conditional GAN)."""
    source = RECIPES[model][2]
    if source is None:
        raise ValueError(f"{model} is measured on random data only (bench.step_costs): it has no dataset")
    if source == "mnist32":
        return gan_utils.load_images("mnist", image_size=32), None
    if source == "cifar10":
        return gan_utils.load_images(str(real_folder(train=True)), image_size=32), None
    images, labels = gan_utils.load_mnist()
    return images, (labels if model == "02" else None)


def random_data(trainer, n=4096):
    """Random images (and labels) of the trainer's shape: a step's arithmetic does not depend on the pixels."""
    images = torch.rand(n, *trainer.G.image_shape) * 2 - 1
    return images, (torch.randint(10, (n,)) if hasattr(trainer.G, "num_classes") else None)


def tweak(trainer, lr=None, lr_G=None, lr_D=None, betas=None, dropout_G=None, dropout_D=None, **settings):
    """Change a trainer before it trains (its optimizers hold no state yet): a learning rate (both networks' or
    one's), Adam's betas, the dropout of one network's dropout layers, or attributes such as ``batch_size``,
    ``label_smoothing`` and ``bfloat16``. Returns the trainer."""
    for opt, rate in ((trainer.opt_G, lr_G or lr), (trainer.opt_D, lr_D or lr)):
        if rate:
            opt.param_groups[0]["lr"] = rate
        if betas:
            opt.param_groups[0]["betas"] = betas
    for network, p in ((trainer.G, dropout_G), (trainer.D, dropout_D)):
        for layer in network.modules():
            if p is not None and isinstance(layer, gan_utils.models.Dropout):
                layer.p = p
    for name, value in settings.items():
        if not hasattr(trainer, name):
            raise AttributeError(f"a GANTrainer has no setting {name!r}")
        setattr(trainer, name, value)
    return trainer


# --- quality: each notebook's yardstick ---------------------------------------------------------------------


def distance(G, model, n=5000):
    """The Frechet distance of ``n`` samples to the real test images (lower is better); CIFAR-10's yardstick
    for notebook 03 on CIFAR-10, the digit classifier's for MNIST."""
    return (cifar_quality if model == "03-cifar10" else mnist_quality)(G, n=n)["distance"]


def legible(G):
    """The share of 1,000 samples (100 of each digit) that the digit classifier reads as the digit asked for."""
    return legibility(G, n_per_digit=100, seed=0)["overall"]


# --- the seed-style baseline ----------------------------------------------------------------------------------


def seed_style_batches(model, batch_size, folder=None, num_workers=2):
    """Endless ``(images, labels)`` batches, loaded the way the source posts load them: MNIST through
    torchvision's dataset (post 000), a folder of colour images through ``ImageFolder`` (post 004)."""
    if RECIPES[model][2] == "cifar10":
        size, grey = 32, False
        dataset = partial(datasets.ImageFolder, str(folder or real_folder(train=True)))
    else:
        size, grey = (32 if RECIPES[model][2] == "mnist32" else 28), True
        dataset = partial(datasets.MNIST, gan_utils.data_dir(), train=True)
    convert = [transforms.Resize(size), transforms.CenterCrop(size)] if size != 28 else []
    mean = (0.5,) if grey else (0.5, 0.5, 0.5)
    convert += [transforms.ToTensor(), transforms.Normalize(mean, mean)]  # per image: [0, 255] -> [-1, 1]
    loader = DataLoader(
        dataset(transform=transforms.Compose(convert)),
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        drop_last=True,
    )
    while True:
        yield from loader


class SeedStyleLoop:
    """The source posts' training loop for a ``GANTrainer``'s networks, learning rate, betas and label smoothing
    (give it a trainer of its own: it trains that trainer's networks). It trains like a ``GANTrainer``:
    ``train(steps=..., minutes=...)``, ``step``, ``batch_size``, ``generator``."""

    def __init__(self, trainer, batches):
        # GANTrainer stores convolution weights channels_last on a CPU (a speed-up of gan_utils' loop); the posts
        # keep PyTorch's default layout.
        self.G = self.generator = trainer.G.to(memory_format=torch.contiguous_format)
        self.D = trainer.D.to(memory_format=torch.contiguous_format)
        settings = trainer.opt_G.param_groups[0]
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=settings["lr"], betas=settings["betas"])  # plain Adam
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=settings["lr"], betas=settings["betas"])
        self.real_label = 1.0 - trainer.label_smoothing
        self.batch_size = trainer.batch_size
        self.criterion = nn.BCEWithLogitsLoss()
        self.conditional = hasattr(self.G, "num_classes")
        self.batches = batches
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

    def train(self, images=None, labels=None, steps=None, minutes=None, **_):
        """Train for ``steps`` or ``minutes`` of wall time (waiting for the data loader included), whichever
        ends first. It brings its own data: ``images`` and ``labels`` are not used."""
        last = self.step + steps if steps is not None else float("inf")
        deadline = time.perf_counter() + 60 * minutes if minutes is not None else float("inf")
        while self.step < last and time.perf_counter() < deadline:
            self.train_step()


def seed_style(model, seed=0, **changes):
    trainer = tweak(recipe(model, seed), **changes)
    return SeedStyleLoop(trainer, seed_style_batches(model, trainer.batch_size))


# --- a race of set-ups taking turns --------------------------------------------------------------------------


class Contender:
    """One set-up in a race: a trainer (a ``GANTrainer`` or a ``SeedStyleLoop``) and what it trains on.
    ``during`` is a context manager that each of its turns runs in (another thread count, say); other keyword
    arguments go to ``trainer.train`` (``live=``, say)."""

    def __init__(
        self, name, trainer, images=None, labels=None, during=contextlib.nullcontext, clock=time.perf_counter, **options
    ):
        self.name, self.trainer, self.images, self.labels = name, trainer, images, labels
        self.during, self.train_options = during, options
        self.clock = clock  # time.process_time: a one-thread run's CPU seconds, what it would get on an idle core
        self.random_state = torch.get_rng_state()  # make it just after building the trainer: its run's stream
        self.seconds = 0.0  # training time
        self.rates = []  # images a second in each turn
        self.curve = []  # one dict per measurement: seconds, step and the scores

    @property
    def batch_size(self):
        return self.trainer.batch_size

    def turn(self, seconds=None, steps=None):
        """Train for ``seconds`` or ``steps``, whichever ends first; returns this turn's images per second."""
        outside, step = torch.get_rng_state(), self.trainer.step
        torch.set_rng_state(self.random_state)  # its own random numbers, as if it trained alone
        started = self.clock()
        with self.during():
            minutes = seconds / 60 if seconds is not None else None
            self.trainer.train(self.images, self.labels, steps=steps, minutes=minutes, **self.train_options)
        took = self.clock() - started
        self.random_state = torch.get_rng_state()
        torch.set_rng_state(outside)
        self.seconds += took
        self.rates.append((self.trainer.step - step) * self.batch_size / took)
        return self.rates[-1]

    def measure(self, **scores):
        """Score the generator it samples from with each ``scores`` function (one that returns a dict gives
        several scores); the point joins its curve."""
        G = self.trainer.generator
        point = {"seconds": self.seconds, "step": self.trainer.step}
        for name, score in scores.items():
            value = score(G)
            point.update(value if isinstance(value, dict) else {name: value})
        self.curve.append(point)
        shown = "  ".join(f"{key} {value:.3f}" for key, value in point.items() if key not in ("seconds", "step"))
        print(f"{self.name:>12}: {self.seconds:7.1f} s, step {self.trainer.step:6,}  {shown}", flush=True)
        return point

    def median_rate(self):
        """The median images per second of its turns, the first (a warm-up) left out when there are more."""
        return statistics.median(self.rates[1:] or self.rates)

    def images_per_second(self):
        return self.trainer.step * self.batch_size / self.seconds


def race(contenders, turn, until):
    """``turn(contender)`` for each contender in order, round after round, leaving out those for which
    ``until(contender)`` holds, until it holds for all."""
    while running := [c for c in contenders if not until(c)]:
        for contender in running:
            turn(contender)


def turns(contenders, seconds, rounds):
    """A warm-up turn and ``rounds`` timed turns of ``seconds`` each; then ``median_rate`` is each one's speed."""
    race(contenders, lambda c: c.turn(seconds), lambda c: len(c.rates) > rounds)


def first_reaching(curve, key, threshold, higher_is_better, window=1):
    """The first point of ``curve`` where the mean of ``key`` over it and the ``window - 1`` points before it
    reaches ``threshold`` (single measurements are noisy); None if none does."""
    for i in range(window - 1, len(curve)):
        value = statistics.mean(point[key] for point in curve[i - window + 1 : i + 1])
        if (value >= threshold) if higher_is_better else (value <= threshold):
            return curve[i]
    return None


# --- what a step costs ----------------------------------------------------------------------------------------


def matmul_peak(dtype=torch.float32, n=4096, repeats=5):
    """GFLOP/s of the fastest of ``repeats`` n x n matrix products: what this CPU's arithmetic can reach."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - started)
    return 2 * n**3 / min(times) / 1e9


def flops_per_image(contender):
    """The floating-point operations of one training step per image (torch.utils.flop_counter counts the
    matrix products and convolutions, forward and backward; elementwise work is left out)."""
    with FlopCounterMode(display=False) as counter:
        contender.trainer.train(contender.images, contender.labels, steps=1)
    return counter.get_total_flops() / contender.batch_size


# --- the results file -------------------------------------------------------------------------------------------


def cpuinfo(field):
    """The first value of ``field`` in /proc/cpuinfo: "" where it has none, None where there is no such file."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(field)), "")


def machine():
    cpu = cpuinfo("model name") or platform.processor() or "unknown CPU"
    return (
        f"nproc {os.cpu_count()}, CPU {cpu}, torch {torch.__version__}, {torch.get_num_threads()} torch threads, "
        f"Python {platform.python_version()}"
    )


def add_docs_arguments(parser, default=DOCS):
    parser.add_argument(
        "--docs", type=Path, default=default, help=f"results file (default {default.relative_to(ROOT)})"
    )
    parser.add_argument("--no-docs", action="store_true", help="print only; do not write the results file")


def parse(parser, argv, module):
    """Parse ``argv`` (None: the command line); ``args.command`` is the command as typed from the repository root."""
    args = parser.parse_args(argv)
    typed = shlex.join(sys.argv[1:] if argv is None else argv)
    data = os.environ.get("GAN_DATA_DIR", "data")
    args.command = f"GAN_DATA_DIR={data} .venv/bin/python -m {module} {typed}".rstrip()
    return args


def report(name, text, args):
    print(f"\n{text}")
    if not args.no_docs:
        write_results(name, text, args.command, args.docs)


def write_results(name, text, command, path=DOCS):
    """Put ``text`` into ``path`` between the markers of ``name``, replacing its previous results."""
    block = (
        f"<!-- begin {name} -->\n"
        f"Measured {datetime.date.today().isoformat()} with `{command}`  \n"
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
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
