"""Which changes to a notebook's recipe learn faster? One solo run per variant, measured every few steps.

For notebook 02's conditional GAN or notebook 03's DCGAN (on MNIST at 32x32, or with ``--model 03-cifar10``
on the JPEG copy of CIFAR-10's training images, read by its yardstick), each variant starts from
the recipe (``gan_utils.recipes``, the same initial weights) and changes one thing: the learning rate of
one network or both (different rates per network: Heusel et al. 2017, "TTUR"), the batch size, label
smoothing, dropout, Adam's betas, or (``no_projection``) notebook 02's discriminator without its projection,
the recipe as it was before. The variants train one after another in one process (so each run's random
numbers are those of a notebook's run), once per seed in ``--seeds``, for ``--steps`` steps, and every
``--check`` steps ``mnist_quality`` reads 5,000 samples of the averaged generator (and of averages with
other decays, ``--decays``, kept beside it in the same run: the average changes no training, so one run
measures them all): the Frechet distance to the real test digits and, for notebook 02, the legibility as
the notebook measures it (100 samples of each digit). Measuring is not counted as training time.

The table gives each run's quality at the step budget (``--steps``: what the notebook's minutes give;
notebook 02's ``GAN_MINUTES=1`` is about 9,000 steps on this CPU), each variant's mean over its seeds, and
the training images per second: a variant whose steps cost more (a larger batch) must learn more per step
to pay for them.

    GAN_DATA_DIR=../shared/data .venv/bin/python bench/recipe_variants.py --model 02 [--steps 9000] [--check 1500]
        [--variants recipe lr_D_2e-3 ...] [--seeds 0 1 2] [--decays 0.99 0.999] [--dump runs.json]
    .venv/bin/python bench/recipe_variants.py --model 02 --summarise runs.json   # the table again, no training
"""

import argparse
import json
import time
from functools import partial
from pathlib import Path

import common
import torch
from torch.optim.swa_utils import AveragedModel

import gan_utils
from gan_utils import recipes
from gan_utils.cifar_quality import cifar_quality, real_folder
from gan_utils.legibility import legibility, load_classifier, mnist_quality
from gan_utils.training import ema_update


def set_lr(trainer, G=None, D=None):
    """Change the learning rate of one network or both (before training: the optimizers hold no state yet)."""
    for opt, lr in ((trainer.opt_G, G), (trainer.opt_D, D)):
        if lr is not None:
            opt.param_groups[0]["lr"] = lr
    return trainer


def change(trainer, **settings):
    """Change the trainer's batch size or label smoothing."""
    for name, value in settings.items():
        setattr(trainer, name, value)
    return trainer


def set_dropout(trainer, G=None, D=None):
    """Change the dropout of every dropout layer of one network or both. (The average of the generator
    samples in eval mode, without dropout, whatever its rate.)"""
    for network, p in ((trainer.G, G), (trainer.D, D)):
        for layer in network.modules():
            if p is not None and isinstance(layer, gan_utils.models.Dropout):
                layer.p = p
    return trainer


def set_betas(trainer, betas):
    """Change Adam's betas for both networks (before training, as ``set_lr``)."""
    for opt in (trainer.opt_G, trainer.opt_D):
        opt.param_groups[0]["betas"] = betas
    return trainer


# Variants that build the recipe with other arguments; every other variant changes a trainer built as the recipe.
BUILT_WITH = {"no_projection": {"projection": False}}  # notebook 02's recipe before the projection


def build(model, seed, name="recipe"):
    if model == "02":
        return recipes.conditional_gan(seed, **BUILT_WITH.get(name, {}))
    if model == "03-cifar10":
        return recipes.dcgan(seed)
    return recipes.dcgan(seed, channels=1, image_size=32)


# Each variant: the recipe, then one change.
VARIANTS = {
    "02": {  # the recipe: lr 1e-3 for both, batch 256, label smoothing 0.1, D with the projection
        "recipe": lambda t: t,
        "no_projection": lambda t: t,  # built without the projection: see BUILT_WITH
        "lr_D_2e-3": lambda t: set_lr(t, D=2e-3),
        "lr_G_2e-3": lambda t: set_lr(t, G=2e-3),
        "lr_both_2e-3": lambda t: set_lr(t, G=2e-3, D=2e-3),
        "lr_D_5e-4": lambda t: set_lr(t, D=5e-4),
        "no_smoothing": lambda t: change(t, label_smoothing=0.0),
        "batch_512_lr_2e-3": lambda t: change(set_lr(t, G=2e-3, D=2e-3), batch_size=512),
        "G_dropout_0": lambda t: set_dropout(t, G=0.0),
        "G_dropout_0_lr_D_2e-3": lambda t: set_lr(set_dropout(t, G=0.0), D=2e-3),
        "D_dropout_0.5": lambda t: set_dropout(t, D=0.5),
        "betas_0.5_0.99": lambda t: set_betas(t, (0.5, 0.99)),
    },
    "03": {  # the recipe: lr 2e-4 for both, batch 64, no label smoothing
        "recipe": lambda t: t,
        "lr_D_4e-4": lambda t: set_lr(t, D=4e-4),
        "lr_G_4e-4": lambda t: set_lr(t, G=4e-4),
        "lr_both_4e-4": lambda t: set_lr(t, G=4e-4, D=4e-4),
        "batch_32": lambda t: change(t, batch_size=32),
        "batch_128_lr_4e-4": lambda t: change(set_lr(t, G=4e-4, D=4e-4), batch_size=128),
        "smoothing_0.1": lambda t: change(t, label_smoothing=0.1),
    },
}


VARIANTS["03-cifar10"] = VARIANTS["03"]  # notebook 03's DCGAN on its own data


def data(model):
    if model == "03":
        return gan_utils.load_images("mnist", image_size=32), None
    if model == "03-cifar10":  # the JPEG copy of CIFAR-10's training images
        return gan_utils.load_images(real_folder(train=True), image_size=32), None
    return gan_utils.load_mnist()


def keep_extra_averages(trainer, decays):
    """More averages of the generator's weights, each updated after every training step like the trainer's own."""
    averages = {
        decay: AveragedModel(trainer.G, multi_avg_fn=partial(ema_update, decay), use_buffers=True) for decay in decays
    }
    train_step = trainer.train_step

    def step_then_average(*args):
        train_step(*args)
        for average in averages.values():
            average.update_parameters(trainer.G)

    trainer.train_step = step_then_average
    return averages


def measure(G, model, n=5000):
    """The Frechet distance of ``n`` samples; notebook 02's legibility too. On CIFAR-10, with its yardstick."""
    if model == "03-cifar10":
        return {"distance": cifar_quality(G, n=n)["distance"], "legibility": None}
    return {
        "distance": mnist_quality(G, n=n)["distance"],
        "legibility": legibility(G, n_per_digit=100, seed=0)["overall"] if model == "02" else None,
    }


def run(model, name, seed, args, images, labels):
    """One variant from one seed: its quality every ``check`` steps and at ``steps``."""
    trainer = VARIANTS[model][name](build(model, seed, name))
    averages = keep_extra_averages(trainer, args.decays)
    seconds, curve = 0.0, []
    for mark in sorted({*range(args.check, args.steps + 1, args.check), args.steps}):
        started = time.perf_counter()
        trainer.train(images, labels, steps=mark - trainer.step)
        seconds += time.perf_counter() - started
        point = {"step": trainer.step, "seconds": seconds, "raw": measure(trainer.G, model, args.n)}
        point[str(trainer.ema)] = measure(trainer.generator, model, args.n)
        for decay, average in averages.items():
            point[str(decay)] = measure(average.module, model, args.n)
        curve.append(point)
        text = "  ".join(
            f"{key}: {value['distance']:.2f}"
            + (f"/{value['legibility']:.3f}" if value["legibility"] is not None else "")
            for key, value in point.items()
            if isinstance(value, dict)
        )
        print(f"{name:>18} (seed {seed}): step {trainer.step:6,} {seconds:6.1f} s  {text}", flush=True)
    return {"name": name, "seed": seed, "batch_size": trainer.batch_size, "curve": curve}


def summary(model, runs, args):
    """A Markdown table: each run's quality at the step budget, per average; the mean of a variant's seeds."""
    keys = [key for key, value in runs[0]["curve"][0].items() if isinstance(value, dict)]  # raw, 0.995, decays
    conditional = model == "02"
    header = [
        "variant",
        "seed",
        "images/s",
        *(f"{k}: {'distance / legibility' if conditional else 'distance'}" for k in keys),
    ]

    def cells(points):
        def mean(k, what):
            return sum(p[k][what] for p in points) / len(points)

        return [f"{mean(k, 'distance'):.2f}" + (f" / {mean(k, 'legibility'):.3f}" if conditional else "") for k in keys]

    rows, ends = [], {}
    for r in runs:
        at = next(p for p in r["curve"] if p["step"] >= args.steps)
        ends.setdefault(r["name"], []).append(at)
        speed = f"{at['step'] * r['batch_size'] / at['seconds']:,.0f}"
        rows.append([r["name"], r.get("seed", 0), speed, *cells([at])])  # older dumps: seed 0
    rows += [[name, "mean", "", *cells(points)] for name, points in ends.items() if len(points) > 1]
    return common.table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["02", "03", "03-cifar10"], default="02")
    parser.add_argument("--variants", nargs="+", help="default: all of the model's")
    parser.add_argument("--steps", type=int, help="the step budget (default 02: 9,000, 03: 2,800)")
    parser.add_argument("--check", type=int, help="steps between measurements (default 02: 1,500, 03: 400)")
    parser.add_argument("--decays", type=float, nargs="*", default=[0.99, 0.999], help="more averages to measure")
    parser.add_argument("--n", type=int, default=5000, help="samples for the Frechet distance (default 5000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run of each variant per seed")
    parser.add_argument("--dump", help="write every run's curve to this JSON file")
    parser.add_argument("--summarise", metavar="DUMP", help="train nothing: the table of the runs in a --dump file")
    common.add_docs_arguments(parser)
    args = parser.parse_args(argv)
    args.steps = args.steps or {"02": 9000, "03": 2800, "03-cifar10": 3900}[args.model]
    args.check = args.check or {"02": 1500, "03": 400, "03-cifar10": 1300}[args.model]
    if args.summarise:
        runs = json.loads(Path(args.summarise).read_text())
    else:
        load_classifier()  # before any training: loading it must not change training's random numbers
        images, labels = data(args.model)
        runs = []
        for name in args.variants or VARIANTS[args.model]:
            for seed in args.seeds:
                runs.append(run(args.model, name, seed, args, images, labels))
                if args.dump:
                    Path(args.dump).write_text(json.dumps(runs, indent=1))
    what = {"02": "Notebook 02's cGAN", "03": "Notebook 03's DCGAN on MNIST", "03-cifar10": "Notebook 03's DCGAN"}
    measured = {"02": "; legibility: 100 of each digit", "03": "", "03-cifar10": "; CIFAR-10's yardstick"}
    text = (
        f"{what[args.model]}: the recipe and variants, one run after another in one process; "
        f"quality at step {args.steps:,} ({args.n:,} samples{measured[args.model]}) of the generator itself "
        f"(raw), the recipe's average (0.995) and other averages.\n\n{summary(args.model, runs, args)}\n"
    )
    common.report(f"recipe_variants_{args.model}", text, args)


if __name__ == "__main__":
    torch.set_printoptions(precision=3)
    main()
