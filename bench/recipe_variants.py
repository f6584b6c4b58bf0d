"""Which recipe learns faster? A notebook's recipe against variants that each change one thing.

For notebook 01's MLP GAN, 02's conditional GAN or 03's DCGAN (on MNIST at 32x32, or ``--model 03-cifar10`` on the
JPEG copy of CIFAR-10), each variant starts from the recipe (``gan_utils.recipes``: the same initial weights) and
changes one thing: the learning rate of one network or both (different rates per network: Heusel et al. 2017,
"TTUR"), the batch size, label smoothing, dropout, Adam's betas; ``no_projection`` is notebook 02's discriminator
without its projection; ``seed_000_networks`` are source post 000's bigger networks (three hidden layers, dropout
0.5) in notebook 02's trainer and settings, both with the post's glued-on label; ``before`` is the recipe as it
shipped before issue 12 (no average of the generator's weights; notebook 01 at batch 64 with lr 5e-4; notebook
02 without the projection).

All runs (each variant from each seed in ``--seeds``) train in turns, one check's steps each, so that they see
the same machine; each draws its own random numbers, so its run is the one it would make alone. Every
``--check`` steps the yardstick reads ``--n`` samples of the generator itself ("raw") and of the one it samples
from (the average of its weights): the Frechet distance and, for notebook 02, the legibility as the notebook
measures it (100 samples of each digit); measuring is not counted as training time. The table gives each run's
quality at ``--steps`` (what the notebook's minutes give: notebook 02's ``GAN_MINUTES=1`` is about 9,000 steps
here), each variant's mean over its seeds and the images per second: a variant whose steps cost more must learn
more per step to pay for them.

With ``--against NAME`` (``before``, say) the table is instead time to quality: the threshold is NAME's quality at
its end (the mean of its last two checks); a run reaches it at the first check where the mean of that check and
the one before does; the seconds to it are the steps to it times the run's seconds per step over its whole run
(all took turns, so all saw the same mix of load; the clock at a crossing would say how busy the machine was
then), and the ratio NAME / variant: 2x means what NAME gets, the variant gets in half the time.

    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.recipe_variants --model 02 [--variants recipe lr_D_2e-3]
        [--seeds 0 1 2] [--steps 9000] [--check 1500] [--precision float32] [--dump runs.json]
    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.recipe_variants --model 01 --variants before recipe
        --against before [--steps 20000 --check 1000]
    .venv/bin/python -m bench.recipe_variants --summarise runs.json [more.json ...] [--against before]
"""

import argparse
import json
import math
import statistics
import time
from functools import partial
from pathlib import Path

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, update_bn

import gan_utils
from bench import harness
from gan_utils.quality import cifar_quality, load_classifier, mnist_quality
from gan_utils.training import ema_update

# --- source post 000's conditional networks ----------------------------------------------------------------


def seed_mlp(sizes, dropout):
    """Linear layers of ``sizes`` with LeakyReLU(0.2) and dropout between them, as post 000 writes them."""
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2), gan_utils.models.Dropout(dropout)]
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


class SeedGenerator(nn.Module):
    """Post 000's generator: noise + one-hot digit -> 256 -> 512 -> 1024 -> 784, dropout 0.5."""

    def __init__(self, latent_dim=64, num_classes=10):
        super().__init__()
        self.latent_dim, self.num_classes, self.image_shape = latent_dim, num_classes, (1, 28, 28)
        self.net = seed_mlp([latent_dim + num_classes, 256, 512, 1024, 784], 0.5)

    def forward(self, z, labels):
        y = nn.functional.one_hot(labels, self.num_classes).to(z.dtype)
        return torch.tanh(self.net(torch.cat([z, y], 1))).view(-1, *self.image_shape)


class SeedDiscriminator(nn.Module):
    """Post 000's discriminator: image + one-hot digit -> 1024 -> 512 -> 256 -> one logit, dropout 0.5."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.num_classes = num_classes
        self.net = seed_mlp([784 + num_classes, 1024, 512, 256, 1], 0.5)

    def forward(self, x, labels):
        y = nn.functional.one_hot(labels, self.num_classes).to(x.dtype)
        return self.net(torch.cat([x.flatten(1), y], 1)).squeeze(1)


def seed_000_networks(seed):
    """Post 000's networks in notebook 02's trainer, with its settings."""
    lesson = harness.recipe("02", seed)
    gan_utils.seed_everything(seed)
    settings = lesson.opt_G.param_groups[0]
    return gan_utils.GANTrainer(
        SeedGenerator(), SeedDiscriminator(), settings["lr"], settings["betas"], lesson.label_smoothing, seed,
        batch_size=lesson.batch_size, ema=lesson.ema,
    )  # fmt: skip


# --- the variants --------------------------------------------------------------------------------------------

# Each variant: the recipe's arguments (projection, ema) or another builder (build), then harness.tweak's changes.
VARIANTS = {
    "01": {  # the recipe: lr 1e-3, batch 256, label smoothing 0.1
        "recipe": {},
        "before": {"ema": None, "lr": 5e-4, "batch_size": 64},
    },
    "02": {  # the recipe: lr 1e-3 for both, batch 256, label smoothing 0.1, D with the projection
        "recipe": {},
        "before": {"projection": False, "ema": None},
        "no_projection": {"projection": False},
        "seed_000_networks": {"build": seed_000_networks},
        "lr_D_2e-3": {"lr_D": 2e-3},
        "lr_G_2e-3": {"lr_G": 2e-3},
        "lr_both_2e-3": {"lr": 2e-3},
        "lr_D_5e-4": {"lr_D": 5e-4},
        "no_smoothing": {"label_smoothing": 0.0},
        "batch_512_lr_2e-3": {"lr": 2e-3, "batch_size": 512},
        "G_dropout_0": {"dropout_G": 0.0},
        "G_dropout_0_lr_D_2e-3": {"dropout_G": 0.0, "lr_D": 2e-3},
        "D_dropout_0.5": {"dropout_D": 0.5},
        "betas_0.5_0.99": {"betas": (0.5, 0.99)},
    },
    "03": {  # changes to the recipe (on a CPU since issue 30: width 32, lr 4e-4 for both, batch 32, no smoothing)
        "recipe": {},
        "before": {"ema": None},
        "lr_D_4e-4": {"lr_D": 4e-4},
        "lr_G_4e-4": {"lr_G": 4e-4},
        "lr_both_4e-4": {"lr": 4e-4},
        "batch_32": {"batch_size": 32},
        "batch_128_lr_4e-4": {"lr": 4e-4, "batch_size": 128},
        "smoothing_0.1": {"label_smoothing": 0.1},
        # the fourth race (issue 30): the CPU recipe with one more change each
        "lr_D_8e-4": {"lr_D": 8e-4},  # two time-scales: D learns twice as fast
        "ema_0.999": {"ema": 0.999},  # an average over ~1,000 steps, not ~200
        "G_w48_D_w32": {"width": 48, "width_D": 32},  # a wider generator: what the samples are made of
        # the fifth race: past 4,000 steps D pulls ahead (its score of the fakes falls); what holds it back?
        # the hinge loss: D gains nothing from pushing fakes past -1
        "hinge": {"update_D": "hinge_update_D", "update_G": "hinge_update_G"},
        "betas_0_0.9": {"betas": (0.0, 0.9)},  # no momentum: each network answers the other's latest move
        "betas_0.5_0.99": {"betas": (0.5, 0.99)},  # a shorter memory of the gradients' size
        "D_w16": {"width_D": 16},  # a narrower discriminator: weaker, and a cheaper step
        "lr_G_8e-4": {"lr_G": 8e-4},  # G learns twice as fast, to keep up with D
        "lr_6e-4": {"lr": 6e-4},
        "ema_0.99": {"ema": 0.99},  # an average over ~100 steps, not ~200
        # the sixth race: the kernel's size, and a discriminator held back by its weights' size, not by its loss
        "kernel_3": {"change_G": "kernel_3", "change_D": "kernel_3"},  # 3x3 in the stride-2 layers: 9/16 of them
        "sn_D": {"change_D": "spectral"},  # spectral normalisation in D instead of its BatchNorm (SNGAN)
        # SNGAN's loss too
        "sn_D_hinge": {"change_D": "spectral", "update_D": "hinge_update_D", "update_G": "hinge_update_G"},
        "lr_6e-4_hinge": {"lr": 6e-4, "update_D": "hinge_update_D", "update_G": "hinge_update_G"},
        "lr_6e-4_smoothing_0.1": {"lr": 6e-4, "label_smoothing": 0.1},
        "lr_5e-4_batch_48": {"lr": 5e-4, "batch_size": 48},  # between the recipe and lr 6e-4, fewer noisier steps
        # the seventh race, on a CPU without bfloat16: what a batch's spread, D's slope and noise on D's input do
        "minibatch_std": {"change_D": "minibatch_std"},  # D sees the batch's spread (ProGAN): fakes alike are caught
        "r1_lazy": {"update_D": "r1_update_D"},  # a penalty on D's slope at real images, every 16th step (StyleGAN2)
        "noise_0.05": {"update_D": "noisy_update_D"},  # N(0, 0.05) noise on D's inputs, real and fake: a blurrier D
    },
}
# Issue 30: the DCGAN sized for a CPU. Each variant changes the width (the feature maps of the top layer: 64 is
# the paper's) and one more thing from the recipe as it was before issue 30 (lr 2e-4 for both, batch 64): BEFORE_30
# spells that out, so that the races in docs/benchmarks.md rerun as they ran: "w32" is that recipe (the races'
# "recipe"), and "w32_lr_4e-4_batch_32" what the recipe became on a CPU.
BEFORE_30 = {"lr": 2e-4, "batch_size": 64}
LAPTOP = {
    "w64": {"width": 64},
    "w48": {"width": 48},
    "w32": {"width": 32},
    "w16": {"width": 16},  # for digits: a quarter of width 32's arithmetic
    "w32_lr_4e-4": {"width": 32, "lr": 4e-4},
    "w32_ttur_D_4e-4": {"width": 32, "lr_D": 4e-4},  # two time-scales: D learns faster than G
    "w32_ttur_G_1e-4_D_4e-4": {"width": 32, "lr_G": 1e-4, "lr_D": 4e-4},
    "w32_batch_32": {"width": 32, "batch_size": 32},
    "w32_batch_128_lr_4e-4": {"width": 32, "batch_size": 128, "lr": 4e-4},
    "w32_betas_0.5_0.99": {"width": 32, "betas": (0.5, 0.99)},
    "w32_betas_0_0.9": {"width": 32, "betas": (0.0, 0.9)},
    "w32_hinge": {"width": 32, "update_D": "hinge_update_D", "update_G": "hinge_update_G"},
    "w32_ema_0.99": {"width": 32, "ema": 0.99},
    "w32_ema_0.999": {"width": 32, "ema": 0.999},
    "w32_smoothing_0.1": {"width": 32, "label_smoothing": 0.1},
    "w32_batch_32_betas_0_0.9": {"width": 32, "batch_size": 32, "betas": (0.0, 0.9)},
    "w32_lr_4e-4_betas_0_0.9": {"width": 32, "lr": 4e-4, "betas": (0.0, 0.9)},
    "w32_D_w16": {"width": 32, "width_D": 16},  # a narrower discriminator: D wins early on digits
    "w32_lr_D_1e-4": {"width": 32, "lr_D": 1e-4},
    "w48_D_w32": {"width": 48, "width_D": 32},  # a wider generator: what the samples are made of
    "w64_D_w32": {"width": 64, "width_D": 32},
    # lr 4e-4 (the best of the first race) with one more change
    "w32_lr_4e-4_ema_0.99": {"width": 32, "lr": 4e-4, "ema": 0.99},
    "w32_lr_4e-4_batch_32": {"width": 32, "lr": 4e-4, "batch_size": 32},
    "w32_lr_4e-4_batch_16": {"width": 32, "lr": 4e-4, "batch_size": 16},  # batch 32 led at 2 minutes: smaller still
    # batch 16 led the second race: smaller still, or a longer average for its twice as many steps
    "w32_lr_4e-4_batch_8": {"width": 32, "lr": 4e-4, "batch_size": 8},
    "w32_lr_4e-4_batch_16_ema_0.999": {"width": 32, "lr": 4e-4, "batch_size": 16, "ema": 0.999},
    "w32_lr_4e-4_hinge": {"width": 32, "lr": 4e-4, "update_D": "hinge_update_D", "update_G": "hinge_update_G"},
    "w32_lr_4e-4_D_8e-4": {"width": 32, "lr_G": 4e-4, "lr_D": 8e-4},
}
VARIANTS["03"] |= {name: BEFORE_30 | changes for name, changes in LAPTOP.items()}
VARIANTS["03-cifar10"] = VARIANTS["03"]  # notebook 03's DCGAN on its own data
STEPS = {"01": 20_000, "02": 9000, "03": 2800, "03-cifar10": 3900}  # about a default run on a laptop at half speed
CHECKS = {"01": 1000, "02": 1500, "03": 400, "03-cifar10": 1300}


def hinge_update_D(real, fake, D, opt_D, real_label=1.0):
    """The hinge loss's discriminator step (Lim and Ye 2017, SAGAN): real logits above 1, fakes' below -1."""
    real_logits, fake_logits = D(real), D(fake.detach())
    loss = nn.functional.relu(1 - real_logits).mean() + nn.functional.relu(1 + fake_logits).mean()
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.detach(), torch.sigmoid(real_logits).mean().detach(), torch.sigmoid(fake_logits).mean().detach()


def hinge_update_G(fake, D, opt_G):
    loss = -D(fake).mean()  # the hinge loss's generator step: raise D's score of the fakes
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.detach()


def kernel_3(network):
    """The DCGAN network with 3x3 kernels in its stride-2 layers (the paper's are 4x4), initialised as before."""
    for i, layer in enumerate(network.net):
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) and layer.stride == (2, 2):
            padding = {"output_padding": 1} if isinstance(layer, nn.ConvTranspose2d) else {}  # still doubles
            network.net[i] = type(layer)(layer.in_channels, layer.out_channels, 3, 2, 1, bias=False, **padding)
    return network.apply(gan_utils.models.dcgan_init)


def spectral(D):
    """D with each convolution's weight divided by its largest singular value (Miyato et al. 2018, SNGAN) and no
    BatchNorm: each layer stretches its input at most by 1, so D's score cannot jump for a small change of its input."""
    for i, layer in enumerate(D.net):
        if isinstance(layer, nn.BatchNorm2d):
            D.net[i] = nn.Identity()
        elif isinstance(layer, nn.Conv2d):
            D.net[i] = nn.utils.parametrizations.spectral_norm(layer)
    return D


class MinibatchStd(nn.Module):
    """One more feature map: the standard deviation over the batch, averaged over features and pixels (ProGAN)."""

    def forward(self, x):
        spread = x.float().std(dim=0).mean().to(x.dtype)  # one number: how much the batch's images differ
        return torch.cat([x, spread.expand(x.shape[0], 1, *x.shape[2:])], dim=1)


def minibatch_std(D):
    """D with the batch's spread as an extra feature map before its last convolution (4x4 -> 1 logit)."""
    last = D.net[-1]
    D.net[-1] = nn.Sequential(MinibatchStd(), nn.Conv2d(last.in_channels + 1, 1, 4, 1, 0, bias=False))
    return D.apply(gan_utils.models.dcgan_init)


def r1_update_D(real, fake, D, opt_D, real_label=1.0, gamma=0.1, every=16):
    """The recipe's D step, and every ``every`` steps an R1 penalty (Mescheder et al. 2018): gamma / 2 times the
    squared gradient of D's logit at real images, times ``every`` (StyleGAN2's lazy form: the same pull on average)."""
    result = gan_utils.training.update_D(real, fake, D, opt_D, real_label)
    D.r1_steps = getattr(D, "r1_steps", 0) + 1  # this run's D steps (the network is the run's own)
    if D.r1_steps % every == 0:
        real = real.detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(D(real).sum(), real, create_graph=True)
        penalty = gamma / 2 * every * gradient.pow(2).flatten(1).sum(1).mean()
        opt_D.zero_grad()
        penalty.backward()
        opt_D.step()
    return result


def noisy_update_D(real, fake, D, opt_D, real_label=1.0, sigma=0.05):
    """The recipe's D step on real and fake images with N(0, sigma) noise added (instance noise): their
    distributions overlap, so D cannot separate them by details the generator has not learned yet."""
    return gan_utils.training.update_D(
        real + sigma * torch.randn_like(real), fake + sigma * torch.randn_like(fake), D, opt_D, real_label
    )


def same(network):
    return network


def build(model, name, seed, precision="auto"):
    changes = dict(VARIANTS[model][name])
    make = changes.pop("build", None)
    arguments = {key: changes.pop(key) for key in ("projection", "ema", "width") if key in changes}
    trainer = make(seed) if make else harness.recipe(model, seed, **arguments)
    if {"width_D", "change_G", "change_D"} & changes.keys():  # other networks, from the recipe's seed
        gan_utils.seed_everything(seed)
        G, D = trainer.G, trainer.D
        if "width_D" in changes:
            D = gan_utils.DCGANDiscriminator(*trainer.G.image_shape[:2], width=changes.pop("width_D"))
        G, D = (globals()[changes.pop(f"change_{n}", "same")](net) for n, net in (("G", G), ("D", D)))
        lr, betas = (trainer.opt_G.param_groups[0][key] for key in ("lr", "betas"))
        trainer = gan_utils.GANTrainer(
            G, D, lr, betas, trainer.label_smoothing, seed, batch_size=trainer.batch_size, ema=trainer.ema
        )
    for update in ("update_D", "update_G"):
        if update in changes:  # a function of this module, by its name
            changes[update] = globals()[changes[update]]
    if precision != "auto":
        changes["bfloat16"] = precision == "bfloat16"
    return harness.tweak(trainer, **changes)


def race(args):
    """Every variant from every seed, in turns to each check; returns the runs (dicts, as ``--dump`` writes)."""
    images, labels = harness.data(args.model)
    contenders = []
    for name in args.variants or VARIANTS[args.model]:
        for seed in args.seeds:
            trainer = build(args.model, name, seed, args.precision)
            contenders.append(harness.Contender(f"{name} ({seed})", trainer, images, labels))
            contenders[-1].variant, contenders[-1].seed = name, seed
    yardsticks = {"distance": partial(harness.distance, model=args.model, n=args.n)}
    if args.model == "02":
        yardsticks["legible"] = harness.legible
    marks = sorted({*range(args.check, args.steps + 1, args.check), args.steps})

    def turn(c):
        c.turn(steps=next(mark for mark in marks if mark > c.trainer.step) - c.trainer.step)
        raw = {f"raw {key}": score(c.trainer.G) for key, score in yardsticks.items()}  # the generator itself
        c.measure(**yardsticks, raw=lambda _: raw)
        if args.dump:
            Path(args.dump).write_text(json.dumps(runs(), indent=1))

    def runs():
        return [
            {"model": args.model, "name": c.variant, "seed": c.seed, "precision": c.trainer.precision, "n": args.n}
            | {"batch_size": c.batch_size, "curve": c.curve}
            for c in contenders
        ]

    harness.race(contenders, turn, lambda c: c.trainer.step >= args.steps)
    return runs()


def timed_race(args):
    """Every variant from every seed for ``--minutes`` of its own training time (``--clock``: CPU seconds of
    this process by default, so that another program on the machine costs no run its steps), measured every
    ``--check-minutes``: equal time, not equal steps, so a cheaper step buys more of them. At each measurement
    the average is scored twice: as it was (its BatchNorm statistics averaged over the steps: "averaged
    statistics", what the races before the fifth measured) and after ``GANTrainer.calibrate`` (the distance),
    which train() would have run at the end of each turn, inside the clock.

    ``--averages``: more averages of each run's generator, one per decay, updated after every step beside the
    trainer's own and measured (calibrated) at each mark as "average <decay>": an average changes nothing in the
    training, so one run measures them all."""
    images, labels = harness.data(args.model)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    contenders = []
    for name in args.variants or VARIANTS[args.model]:
        for seed in args.seeds:
            trainer = build(args.model, name, seed, args.precision)
            trainer.calibrate = lambda: None  # turn() calibrates, outside the training clock
            averages = {decay: AveragedModel(trainer.G, multi_avg_fn=partial(ema_update, decay), use_buffers=True)
                        for decay in args.averages}  # fmt: skip
            options = {"callback": partial(update_averages, averages), "every": 1} if averages else {}
            contenders.append(harness.Contender(f"{name} ({seed})", trainer, images, labels, clock=clock, **options))
            contenders[-1].variant, contenders[-1].seed, contenders[-1].averages = name, seed, averages
    marks = [60 * m for m in args.marks]

    def per_step(c):
        return c.seconds / c.trainer.step

    def turn(c):
        mark = next(m for m in marks if m > c.seconds + (per_step(c) / 2 if c.trainer.step else 0))
        c.turn(steps=10) if not c.trainer.step else None  # a first few steps to learn its speed
        # up to the mark in turns of at most 30 s: a speed measured under one load can be wrong under the next,
        # and a run that overshoots its mark trains longer than the others (the first races' 5 minutes: up to 332 s)
        while (steps := round(min(mark - c.seconds, 30) / per_step(c))) > 0:
            c.turn(steps=steps)
        raw = quality(c.trainer.G, args.model, args.n)["distance"]  # the generator itself, beside its average
        # the average as it samples before its BatchNorm statistics are measured again (the races before the fifth)
        averaged = quality(c.trainer.generator, args.model, args.n)["distance"]
        gan_utils.GANTrainer.calibrate(c.trainer)  # as train() does as it ends (not in its clock: see timed_race)
        more = {"raw distance": raw, "averaged statistics": averaged}
        for decay, average in c.averages.items():
            update_bn(gan_utils.make_noise(2048, average.module.latent_dim, seed=0).split(256), average.module)
            more[f"average {decay:g}"] = quality(average.module, args.model, args.n)["distance"]
        c.measure(quality=partial(quality, model=args.model, n=args.n), raw=lambda _: more)
        if args.dump:
            Path(args.dump).write_text(json.dumps(runs(), indent=1))

    def runs():
        return [
            {"model": args.model, "name": c.variant, "seed": c.seed, "precision": c.trainer.precision, "n": args.n}
            | {"batch_size": c.batch_size, "clock": args.clock, "curve": c.curve}
            for c in contenders
        ]

    harness.race(contenders, turn, lambda c: c.trainer.step and c.seconds + per_step(c) / 2 >= marks[-1])
    return runs()


def update_averages(averages, trainer):
    """A callback run after every step (and at the start of each turn: then the step is averaged already)."""
    for average in averages.values():
        if trainer.step > int(average.n_averaged):  # n_averaged: the steps averaged so far
            average.update_parameters(trainer.G)


def quality(G, model, n):
    """The yardstick's distance, the share of confident samples (CIFAR-10) and the rarest and commonest class."""
    result = (cifar_quality if model == "03-cifar10" else mnist_quality)(G, n=n)
    flagged = len(result["rare"]) + len(result["dominant"])
    shares = {"rarest": min(result["histogram"]), "commonest": max(result["histogram"]), "flagged": flagged}
    return {"distance": result["distance"], "confident": result.get("confident", float("nan"))} | shares


def spread(values):
    """mean ± standard deviation (range) of several values; one value alone."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def timed_table(runs, minutes):
    """Each variant at each of ``minutes``: steps made, distance mean ± standard deviation (range) over its seeds."""
    more = [key for key in runs[0]["curve"][-1] if key == "averaged statistics" or key.startswith("average ")]
    rows = []
    for name in dict.fromkeys(run["name"] for run in runs):
        mine = [run for run in runs if run["name"] == name]
        row = [name, len(mine)]
        for m in minutes:
            at = [min(run["curve"], key=lambda p: abs(p["seconds"] - 60 * m)) for run in mine]
            if any(abs(p["seconds"] - 60 * m) > 30 for p in at):
                row += ["-", "-"]
                continue
            steps = statistics.mean(p["step"] for p in at)
            row += [f"{steps:,.0f}", spread([p["distance"] for p in at])]
        last = [run["curve"][-1] for run in mine]
        row += [spread([p[key] for p in last]) if key in last[0] else "-" for key in more]
        confident = statistics.mean(p["confident"] for p in last)
        row += ["-" if math.isnan(confident) else f"{confident:.0%}", sum(p["flagged"] > 0 for p in last)]
        row += [f"{min(p['rarest'] for p in last):.1%}-{max(p['commonest'] for p in last):.1%}"]
        rows.append(row)
    header = ["variant", "seeds"]
    for m in minutes:
        header += [f"steps in {m:g} min", f"distance at {m:g} min: mean ± sd (range)"]
    header += [f"{key} at the end" for key in more]  # the fifth race's: the same runs' average measured otherwise
    header += ["confident at the end", "runs with a class flagged", "class shares at the end (all runs)"]
    return harness.table(header, rows)


def score(value, key):
    return f"{value:.{3 if key == 'legible' else 2}f}"


def quality_table(runs, steps):
    """Each run's quality at ``steps``, raw and sampled, and each variant's mean over its seeds."""
    keys = ["distance", "legible"] if "legible" in runs[0]["curve"][0] else ["distance"]

    def cells(points):
        def mean(key):
            return sum(point[key] for point in points) / len(points)

        return [" / ".join(score(mean(prefix + key), key) for key in keys) for prefix in ("raw ", "")]

    rows, ends = [], {}
    for run in runs:
        at = next((point for point in run["curve"] if point["step"] >= steps), run["curve"][-1])
        ends.setdefault(run["name"], []).append(at)
        speed = f"{at['step'] * run['batch_size'] / at['seconds']:,.0f}"
        rows.append([run["name"], run["seed"], run["precision"], speed, *cells([at])])
    rows += [[name, "mean", "", "", *cells(points)] for name, points in ends.items() if len(points) > 1]
    what = " / ".join(keys)
    return harness.table(["variant", "seed", "precision", "images/s", f"raw: {what}", f"sampled: {what}"], rows)


def time_table(runs, against):
    """Each run's training seconds to ``against``'s final quality (same model, seed and precision)."""
    rows = []
    for reference in [run for run in runs if run["name"] == against]:
        same = ("model", "seed", "precision")
        for run in [r for r in runs if r["name"] != against and all(r[k] == reference[k] for k in same)]:
            rows += time_rows(reference, run)
    header = ["model", "precision", "seed", f"threshold ({against}'s end)", f"{against}: s (steps)", "variant"]
    header += ["variant: s (steps)", f"{against} / variant", f"variant at half / all of {against}'s time"]
    return harness.table(header + [f"images/s {against} / variant"], rows)


def time_rows(reference, run):
    pair = [reference, run]
    per_step = [r["curve"][-1]["seconds"] / r["curve"][-1]["step"] for r in pair]  # over the whole run
    end = reference["curve"][-1]["seconds"]
    rows = []
    for key, higher_is_better in [("distance", False), ("legible", True)][: 1 + ("legible" in run["curve"][0])]:
        threshold = sum(point[key] for point in reference["curve"][-2:]) / len(reference["curve"][-2:])
        steps = [harness.first_reaching(r["curve"], key, threshold, higher_is_better, window=2) for r in pair]
        steps = [point and point["step"] for point in steps]
        seconds = [n and n * rate for n, rate in zip(steps, per_step)]
        shown = [f"{t:.0f} ({n:,} steps)" if n else "not reached" for t, n in zip(seconds, steps)]
        rows.append(
            [
                harness.RECIPES[run["model"]][0],
                run["precision"],
                run["seed"],
                f"{key} {'>=' if higher_is_better else '<='} {score(threshold, key)}",
                shown[0],
                run["name"],
                shown[1],
                f"{seconds[0] / seconds[1]:.1f}x" if all(seconds) else "-",
                f"{at_time(run, end / 2, key)} / {at_time(run, end, key)}",
                " / ".join(f"{r['batch_size'] / rate:,.0f}" for r, rate in zip(pair, per_step)),
            ]
        )
    return rows


def at_time(run, seconds, key):
    """The run's ``key`` at its check nearest to ``seconds`` of training at its own seconds per step."""
    step = seconds * run["curve"][-1]["step"] / run["curve"][-1]["seconds"]
    point = min(run["curve"], key=lambda p: abs(p["step"] - step))
    return f"{score(point[key], key)} (step {point['step']:,})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=list(VARIANTS), default="02")
    parser.add_argument("--variants", nargs="+", help="default: all of the model's")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run of each variant per seed")
    parser.add_argument("--steps", type=int, help="the step budget (default 01: 20,000, 02: 9,000, 03: 2,800)")
    parser.add_argument("--check", type=int, help="steps between measurements (default 01: 1,000, 02: 1,500, 03: 400)")
    parser.add_argument("--precision", choices=["auto", "float32", "bfloat16"], default="auto")
    parser.add_argument("--n", type=int, default=5000, help="samples for the Frechet distance (default 5000)")
    parser.add_argument("--minutes", type=float, help="equal training time instead of --steps (issue 30's race)")
    parser.add_argument("--marks", type=float, nargs="+", help="with --minutes: the minutes to measure at")
    parser.add_argument("--averages", type=float, nargs="*", default=[], help="with --minutes: more EMA decays")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="with --minutes (default cpu)")
    parser.add_argument("--against", metavar="NAME", help="time to NAME's final quality instead (e.g. before)")
    parser.add_argument("--dump", help="write every run's curve to this JSON file")
    parser.add_argument("--summarise", nargs="+", metavar="DUMP", help="train nothing: the table of --dump files")
    harness.add_docs_arguments(parser)
    args = harness.parse(parser, argv, __spec__.name)
    args.steps = args.steps or STEPS[args.model]
    args.check = args.check or CHECKS[args.model]
    unknown = set(args.variants or []) - set(VARIANTS[args.model])
    if unknown:
        parser.error(
            f"notebook {args.model} has no variant {', '.join(sorted(unknown))}: {', '.join(VARIANTS[args.model])}"
        )
    if args.summarise:
        runs = [run for path in args.summarise for run in json.loads(Path(path).read_text())]
    else:
        load_classifier()  # before any trainer is built and any clock starts
        args.marks = sorted(set(args.marks or range(1, math.ceil(args.minutes or 0) + 1)) | {args.minutes or 0})
        runs = timed_race(args) if args.minutes else race(args)
    if "clock" in runs[0]:
        runs = [run for run in runs if run["model"] == args.model]
        minutes = sorted({2, 5, 10, args.minutes or round(max(p["seconds"] for r in runs for p in r["curve"]) / 60, 1)})
        minutes = [m for m in minutes if any(abs(p["seconds"] - 60 * m) <= 30 for r in runs for p in r["curve"])]
        text = (
            timed_table(runs, minutes) + f"\n\nClock: {runs[0]['clock']} seconds of training, {runs[0]['n']:,} samples."
        )
        harness.report(f"recipe_variants_{args.model}_timed", text, args)
        return
    if args.against:
        name = "time_to_quality" if args.against == "before" else f"recipe_variants_{args.model}_against_{args.against}"
        text = time_table(runs, args.against)
    else:
        runs = [run for run in runs if run["model"] == args.model]
        name, text = f"recipe_variants_{args.model}", quality_table(runs, args.steps)
    steps = {(r["model"], r["curve"][-1]["step"], r["curve"][0]["step"], r["n"]) for r in runs}
    budgets = "; ".join(
        f"{harness.RECIPES[m][0]}: {s:,} steps, checks every {c:,}, {n:,} samples" for m, s, c, n in sorted(steps)
    )
    text += f"\n\n{budgets}" + (" (legibility: 100 of each digit)." if "legible" in runs[0]["curve"][0] else ".")
    harness.report(name, text, args)


if __name__ == "__main__":
    main()
