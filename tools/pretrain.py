"""Train the models that ship in gan_utils/pretrained/, so that a class can use them at once.

    python tools/pretrain.py vanilla [--steps 30000]        # notebook 01's MLP GAN: mlp_gan_mnist.pt (1 MB)
    python tools/pretrain.py cgan [--minutes 12]            # notebook 02's conditional GAN: cgan_mnist.pt (1 MB)
    python tools/pretrain.py dcgan [--minutes 60] [--every-minutes 5 | --every-steps N] [--dataset PATH]
    python tools/pretrain.py mnist-classifier [--epochs 4]    # the digit yardstick's classifier (a minute)
    python tools/pretrain.py cifar10-classifier [--epochs 30] # CIFAR-10's (minutes on a GPU, an hour on a CPU)

Each GAN is its notebook's recipe (``gan_utils.recipes``), only trained for longer; the files hold the (averaged)
generator only, and the command prints its yardstick figures (``gan_utils.quality``). ``dcgan`` trains on the
JPEG copy of CIFAR-10 (``$GAN_DATA_DIR/cifar10-jpeg/train`` unless ``--dataset`` says otherwise), measures the
generator every few minutes (or ``N`` steps) and keeps the best one, not the last: a GAN's samples get worse as
well as better while it trains. Its file also holds the log of (step, distance). ``--out`` writes elsewhere.
"""

import argparse
import math
import time
from pathlib import Path

import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from gan_utils import quality
from gan_utils.checkpoints import (
    PRETRAINED_CGAN,
    PRETRAINED_DCGAN,
    PRETRAINED_VANILLA,
    load_checkpoint,
    load_generator,
    pack_model,
    save_checkpoint,
)
from gan_utils.data import load_images, load_mnist
from gan_utils.recipes import conditional_gan, dcgan, vanilla_gan
from gan_utils.training import KeepBest, has_fast_bfloat16
from gan_utils.utils import pick_device

DEFAULT_MINUTES = {"cgan": 12, "dcgan": 60}
DEFAULT_EPOCHS = {"mnist-classifier": 4, "cifar10-classifier": 30}


def pretrain_vanilla(steps, seed=0, path=PRETRAINED_VANILLA):
    trainer = vanilla_gan(seed)
    trainer.train(load_mnist()[0], steps=steps)
    save_checkpoint({"generator": pack_model(trainer.generator.cpu()), "step": trainer.step}, path)
    print(f"Wrote {path} after {trainer.step:,} steps ({trainer.precision}).")
    print(quality.report(quality.mnist_quality(trainer.generator)))


def pretrain_cgan(minutes, seed=0, path=PRETRAINED_CGAN):
    trainer = conditional_gan(seed)
    trainer.train(*load_mnist(), minutes=minutes)
    save_checkpoint({"generator": pack_model(trainer.generator.cpu())}, path)
    print(f"Wrote {path} after {trainer.step:,} steps.")
    print(quality.report(quality.mnist_quality(trainer.generator)))


def pretrain_dcgan(minutes, every_minutes=5, every_steps=None, dataset=None, seed=0, path=PRETRAINED_DCGAN):
    """Train notebook 03's DCGAN for ``minutes`` and keep the generator with the lowest Frechet distance,
    measured every ``every_steps`` steps (or, without it, about every ``every_minutes`` minutes)."""
    images = load_images(dataset or quality.real_folder(train=True), image_size=32)
    trainer = dcgan(seed)
    keeper = KeepBest(lambda G: quality.cifar_quality(G)["distance"], path, lower_is_better=True)
    started = time.perf_counter()
    callbacks = [keeper, log_scores(keeper, started)]
    if every_steps is None:  # train the first stretch by the clock, then check every that many steps
        trainer.train(images, minutes=min(every_minutes, minutes), callback=callbacks, every=10**9)
        every_steps = trainer.step
    minutes_left = minutes - (time.perf_counter() - started) / 60
    if minutes_left > 0:
        trainer.train(images, minutes=minutes_left, callback=callbacks, every=every_steps)
    # Rewrite the best generator with the whole log (KeepBest saved it where it trained).
    save_checkpoint({**load_checkpoint(path), "log": keeper.scores}, path)
    print(f"Wrote {path}: the generator of step {keeper.best_step:,} of {trainer.step:,} (distance {keeper.best:.2f}).")
    print("log (step, Frechet distance): " + ", ".join(f"({step}, {score:.2f})" for step, score in keeper.scores))
    print(quality.report(quality.cifar_quality(load_generator(path, device=trainer.device))))


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


# --- the yardsticks' classifiers ----------------------------------------------------------------------------


def train_digit_classifier(images, labels, epochs=4, batch_size=128, seed=0):
    """A ``DigitClassifier`` trained on ``images`` (MNIST's 60,000 training digits) and their ``labels``."""
    rng = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = quality.DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(math.ceil(epochs)):
        for index in torch.randperm(len(images), generator=rng).split(batch_size):
            loss = F.cross_entropy(model(images[index]), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def augment(images):
    """A new variant of every image: a random 32x32 crop of it padded by 4 pixels (mirrored at the
    border), flipped left-right half of the time. Runs on the images' device, a whole batch at once."""
    n, channels, height, width = images.shape
    padded = F.pad(images, (4, 4, 4, 4), mode="reflect")  # 32x32 -> 40x40
    device = images.device
    top, left = torch.randint(0, 9, (2, n, 1, 1, 1), device=device)  # where each image's crop starts
    # Every crop at once: output pixel (i, c, y, x) copies pixel (i, c, top_i + y, left_i + x) of the padded images.
    i = torch.arange(n, device=device).view(n, 1, 1, 1)
    c = torch.arange(channels, device=device).view(1, channels, 1, 1)
    y = torch.arange(height, device=device).view(1, 1, height, 1)
    x = torch.arange(width, device=device).view(1, 1, 1, width)
    crops = padded[i, c, top + y, left + x]
    flip = torch.rand(n, 1, 1, 1, device=device) < 0.5
    return torch.where(flip, crops.flip(3), crops)


def train_cifar_classifier(images, labels, epochs=30, batch_size=512, lr=0.2, device=None, seed=0, test=None):
    """A ``CifarClassifier`` trained on ``images`` (in [-1, 1]) and their ``labels``, with augmentation.

    The whole set sits on the device (a GPU when there is one) and each batch is augmented there, so no time
    goes into moving or converting images. SGD with a one-cycle schedule (the learning rate rises to ``lr``,
    then falls to almost 0) reaches a good accuracy in few epochs. ``test=(images, labels)`` prints the test
    accuracy after every epoch. ``epochs`` may be a fraction, for a quick check.
    """
    device = torch.device(device) if device else pick_device()
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = True  # let cuDNN pick the fastest convolution for these fixed shapes
    layout = torch.channels_last  # each pixel's channels side by side: faster convolutions on CPUs and GPUs
    model = quality.CifarClassifier().to(device, memory_format=layout)
    images, labels = images.to(device), labels.to(device)
    steps = math.ceil(epochs * len(images) / batch_size)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    bfloat16 = device.type == "cuda" or has_fast_bfloat16(device)  # bfloat16 products: about twice as fast
    order = torch.cat([torch.randperm(len(images), device=device) for _ in range(math.ceil(epochs))])
    started = time.perf_counter()
    for step, index in enumerate(tqdm(order.split(batch_size)[:steps], desc="training the CIFAR-10 classifier")):
        with torch.autocast(device.type, torch.bfloat16, enabled=bfloat16):
            loss = F.cross_entropy(model(augment(images[index]).contiguous(memory_format=layout)), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if test is not None and (step + 1) % steps_per_epoch == 0:
            tqdm.write(
                f"epoch {(step + 1) // steps_per_epoch}: loss {loss.item():.3f}, test accuracy "
                f"{accuracy(model, *test):.4f} ({time.perf_counter() - started:.0f} s)"
            )
    return model.eval()


def accuracy(model, images, labels):
    """The share of ``images`` that ``model`` classifies as their ``labels`` (read in eval mode)."""
    was_training = model.training
    probabilities, _ = quality.read(images, model.eval())
    model.train(was_training)
    return (probabilities.argmax(1) == labels.cpu()).float().mean().item()


def pretrain_classifier(name, epochs, seed=0, path=None):
    """Train the yardstick's classifier for ``name`` ("mnist" or "cifar10") and save its weights."""
    path = path or quality.classifier_file(name)
    if name == "mnist":
        model, test = train_digit_classifier(*load_mnist(train=True), epochs, seed=seed), load_mnist(train=False)
    else:
        test = quality.load_real(train=False)
        model = train_cifar_classifier(*quality.load_real(train=True), epochs=epochs, seed=seed, test=test)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({key: tensor.cpu().contiguous() for key, tensor in model.state_dict().items()}, path)
    print(f"Wrote {path}: test accuracy {accuracy(model, *test):.4f} on {len(test[0]):,} images.")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the models that ship with gan_utils (see the module's doc).")
    parser.add_argument(
        "model",
        choices=["vanilla", "cgan", "dcgan", "mnist-classifier", "cifar10-classifier"],
        help="vanilla: notebook 01's MLP GAN on MNIST; cgan: notebook 02's conditional GAN on MNIST; "
        "dcgan: notebook 03's DCGAN on CIFAR-10, the best of the run by the yardstick; "
        "mnist-classifier, cifar10-classifier: the yardsticks' classifiers",
    )
    parser.add_argument("--minutes", type=float, help="training budget (cgan: 12, dcgan: 60)")
    parser.add_argument("--steps", type=int, default=30_000, help="vanilla: training steps")
    parser.add_argument("--epochs", type=float, help="classifiers: passes over the training images (4, 30)")
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
    elif args.model == "dcgan":
        pretrain_dcgan(
            minutes, args.every_minutes, args.every_steps, args.dataset, args.seed, args.out or PRETRAINED_DCGAN
        )
    else:
        epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS[args.model]
        pretrain_classifier(args.model.removesuffix("-classifier"), epochs, args.seed, args.out)


if __name__ == "__main__":
    main()
