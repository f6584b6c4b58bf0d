"""Train the models that ship with the package, so that a class can use them at once.

    python -m gan_utils.pretrain vanilla [--steps 30000] [--seed 0]

writes ``gan_utils/pretrained/mlp_gan_mnist.pt`` (the generator only, about 1 MB), notebook 01's MLP GAN
(``gan_utils.recipes.vanilla_gan``) after ``--steps`` steps, and prints its Frechet distance. Notebook 01
uses it with ``GAN_TRAIN=0``.

    python -m gan_utils.pretrain cgan [--minutes 12] [--seed 0]

writes ``gan_utils/pretrained/cgan_mnist.pt`` (the generator only, about 1 MB) and
prints its legibility. It trains notebook 02's conditional GAN, with the same
networks and settings (``gan_utils.recipes.conditional_gan``), only for longer.

    python -m gan_utils.pretrain cifar-classifier [--epochs 30]

writes ``gan_utils/pretrained/cifar10_classifier.pt``, the classifier of the CIFAR-10
yardstick (``gan_utils.cifar_quality``), and prints its test accuracy. Minutes on a GPU.

    python -m gan_utils.pretrain dcgan [--minutes 60] [--every-minutes 5 | --every-steps N] [--dataset PATH]

trains notebook 03's 32x32 DCGAN (``gan_utils.recipes.dcgan``) on a JPEG copy of
CIFAR-10 (``$GAN_DATA_DIR/cifar10-jpeg/train`` unless ``--dataset`` says otherwise). Every few
minutes (or ``N`` steps) it measures the generator with the yardstick and keeps the best one,
not the last: a GAN's samples get worse as well as better while it trains. Writes
``gan_utils/pretrained/dcgan_cifar10.pt`` (the generator only, about 4 MB), then prints its
yardstick figures and the log of (step, distance).
"""

import argparse
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoints import load_checkpoint, load_generator, pack_model, save_checkpoint
from .cifar_quality import (
    CLASSIFIER_PATH,
    accuracy,
    cifar_quality,
    load_real,
    real_folder,
    report,
    train_cifar_classifier,
)
from .data import load_images, load_mnist
from .legibility import legibility, mnist_quality, quality_report
from .legibility import report as legibility_report
from .recipes import conditional_gan, dcgan, vanilla_gan
from .training import KeepBest

PRETRAINED_VANILLA = Path(__file__).parent / "pretrained" / "mlp_gan_mnist.pt"
PRETRAINED_CGAN = Path(__file__).parent / "pretrained" / "cgan_mnist.pt"
PRETRAINED_DCGAN = Path(__file__).parent / "pretrained" / "dcgan_cifar10.pt"
DEFAULT_MINUTES = {"cgan": 12, "dcgan": 60}


def pretrain_vanilla(steps, seed=0, path=PRETRAINED_VANILLA):
    images, _ = load_mnist()
    trainer = vanilla_gan(seed)
    trainer.train(images, steps=steps)
    save_checkpoint({"generator": pack_model(trainer.generator.cpu()), "step": trainer.step}, path)
    print(f"Wrote {path} after {trainer.step:,} steps ({trainer.precision}).")
    print(quality_report(mnist_quality(trainer.generator)))


def pretrain_cgan(minutes, seed=0, path=PRETRAINED_CGAN):
    images, labels = load_mnist()
    trainer = conditional_gan(seed)
    trainer.train(images, labels, minutes=minutes)
    save_checkpoint({"generator": pack_model(trainer.generator.cpu())}, path)
    print(f"Wrote {path} after {trainer.step:,} steps.")
    print(legibility_report(legibility(trainer.generator)))


def pretrain_cifar_classifier(epochs=30, seed=0, path=CLASSIFIER_PATH):
    """Train the yardstick's classifier on the 50,000 training images and save its weights."""
    images, labels = load_real(train=True)
    test = load_real(train=False)
    model = train_cifar_classifier(images, labels, epochs=epochs, seed=seed, test=test)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({name: tensor.cpu() for name, tensor in model.state_dict().items()}, path)
    print(f"Wrote {path}: test accuracy {accuracy(model, *test):.4f} on {len(test[0]):,} images.")


def pretrain_dcgan(minutes, every_minutes=5, every_steps=None, dataset=None, seed=0, path=PRETRAINED_DCGAN):
    """Train notebook 03's DCGAN for ``minutes`` and keep the generator with the lowest Frechet distance,
    measured every ``every_steps`` steps (or, without it, about every ``every_minutes`` minutes)."""
    images = load_images(dataset or real_folder(train=True), image_size=32)
    trainer = dcgan(seed)
    keeper = KeepBest(lambda G: cifar_quality(G)["distance"], path, lower_is_better=True)
    started = time.perf_counter()
    callbacks = [keeper, log_scores(keeper, started)]
    if every_steps is None:  # train the first stretch by the clock, then check every that many steps
        trainer.train(images, minutes=min(every_minutes, minutes), callback=callbacks, every=10**9)
        every_steps = trainer.step
    minutes_left = minutes - (time.perf_counter() - started) / 60
    if minutes_left > 0:
        trainer.train(images, minutes=minutes_left, callback=callbacks, every=every_steps)
    # Rewrite the best generator with its figures and the whole log (KeepBest saved it where it trained).
    best = load_checkpoint(path)
    save_checkpoint({**best, "log": keeper.scores}, path)
    print(f"Wrote {path}: the generator of step {keeper.best_step:,} of {trainer.step:,} (distance {keeper.best:.2f}).")
    print("log (step, Frechet distance): " + ", ".join(f"({step}, {score:.2f})" for step, score in keeper.scores))
    print(report(cifar_quality(load_generator(path, device=trainer.device))))


def log_scores(keeper, started):
    """A callback that prints each new yardstick score with the time, so a long run shows its progress."""

    def log(trainer):
        if keeper.scores and keeper.scores[-1][0] == trainer.step:
            step, distance = keeper.scores[-1]
            best = " (best so far: saved)" if step == keeper.best_step else ""
            tqdm.write(
                f"[{(time.perf_counter() - started) / 60:5.1f} min] step {step:,}: distance {distance:.2f}{best}"
            )

    return log


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the models that ship with gan_utils (see the module's doc).")
    parser.add_argument(
        "model",
        choices=["vanilla", "cgan", "cifar-classifier", "dcgan"],
        help="vanilla: notebook 01's MLP GAN on MNIST; cgan: notebook 02's conditional GAN on MNIST; "
        "cifar-classifier: the CIFAR-10 yardstick's classifier; "
        "dcgan: notebook 03's DCGAN on CIFAR-10, the best of the run by the yardstick",
    )
    parser.add_argument("--minutes", type=float, help="training budget (cgan: 12, dcgan: 60)")
    parser.add_argument("--steps", type=int, default=30_000, help="vanilla: training steps")
    parser.add_argument("--epochs", type=float, default=30, help="cifar-classifier: passes over the training images")
    parser.add_argument("--every-minutes", type=float, default=5, help="dcgan: measure the generator this often")
    parser.add_argument("--every-steps", type=int, help="dcgan: measure every this many steps instead")
    parser.add_argument("--dataset", help="dcgan: a folder of training images (default: the JPEG copy of CIFAR-10)")
    parser.add_argument("--out", type=Path, help="where to write the weights (default: gan_utils/pretrained/...)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    minutes = args.minutes if args.minutes is not None else DEFAULT_MINUTES.get(args.model)
    if args.model == "vanilla":
        pretrain_vanilla(args.steps, args.seed, args.out or PRETRAINED_VANILLA)
    elif args.model == "cgan":
        pretrain_cgan(minutes, args.seed, args.out or PRETRAINED_CGAN)
    elif args.model == "cifar-classifier":
        pretrain_cifar_classifier(args.epochs, args.seed, args.out or CLASSIFIER_PATH)
    else:
        pretrain_dcgan(
            minutes, args.every_minutes, args.every_steps, args.dataset, args.seed, args.out or PRETRAINED_DCGAN
        )


if __name__ == "__main__":
    main()
