"""How good are a generator's digits?

A small convolutional classifier, trained on real MNIST, reads back what the
generator drew. ``legibility(G)`` asks a conditional ``G`` for every digit and
reports the share the classifier reads as the digit asked for, per digit and
overall. It also flags mode collapse: a digit whose samples are all nearly the
same image.

``mnist_quality(G)`` measures any MNIST generator, plain or conditional: which
digits the classifier reads in its samples (a histogram; a digit under 2% or
over 30% is a sign of mode collapse), the legibility when ``G`` is conditional,
and the Frechet distance between the classifier's features of the samples and
of the 10,000 real test digits, beside the same distance for as many real
training digits (the floor: what a perfect generator would get).

    python -m gan_utils.legibility checkpoints/conditional_gan.pt

The classifier's weights ship in ``gan_utils/pretrained/``; when the file is
missing, it is trained once on MNIST (under a minute on a laptop CPU) and saved.
"""

import argparse
import functools
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .checkpoints import load_generator
from .cifar_quality import frechet_distance, statistics  # the same maths as the CIFAR-10 yardstick
from .data import load_mnist, resize
from .utils import generate, make_noise

CLASSIFIER_PATH = Path(__file__).parent / "pretrained" / "mnist_classifier.pt"
COLLAPSE_BELOW = 0.05  # mean per-pixel spread of one digit's samples; real MNIST: 0.15 (ones) to 0.34
RARE_BELOW, COMMON_ABOVE = 0.02, 0.30  # shares of the samples; real MNIST has 9-11% of each digit


class DigitClassifier(nn.Module):
    """Two convolutions and a linear layer: 28x28 digit in [-1, 1] -> 10 class logits."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 28x28 -> 14x14
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14x14 -> 7x7
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 10),
        )

    def forward(self, x):
        return self.net(x)

    @staticmethod
    def features_of(convolved):
        """What the Frechet distance compares: the 64 channels of the last convolution (``net[:6]``'s
        output), each averaged over a 3x3 grid of the image: 576 numbers per digit."""
        return F.adaptive_avg_pool2d(convolved, 3).flatten(1)


def train_classifier(epochs=4, batch_size=128, seed=0):
    """Train a ``DigitClassifier`` on the 60,000 MNIST training digits."""
    images, labels = load_mnist(train=True)
    rng = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for index in torch.randperm(len(images), generator=rng).split(batch_size):
            loss = F.cross_entropy(model(images[index]), labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


@functools.cache
def load_classifier(path=CLASSIFIER_PATH):
    """The shipped classifier (read once, then kept); trained and saved first if the file is missing."""
    path = Path(path)
    if not path.is_file():
        print(f"Training the MNIST classifier once; it will be saved to {path} ...")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(train_classifier().state_dict(), path)
    with torch.random.fork_rng():  # building it draws random weights: keep a training run's random numbers as they are
        model = DigitClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def classify(images, classifier=None):
    """The digit the classifier reads in each image (images in [-1, 1])."""
    classifier = classifier or load_classifier()
    with torch.inference_mode():
        return torch.cat([classifier(batch).argmax(1) for batch in images.split(1000)])


def class_histogram(images, classifier=None):
    """How many of ``images`` (grey digits in [-1, 1], any size) the classifier reads as each digit."""
    if images.shape[-1] != 28:
        images = F.interpolate(images, size=28, mode="bilinear", antialias=True)
    return torch.bincount(classify(images, classifier), minlength=10)


def legibility(G, n_per_digit=100, seed=0, classifier=None):
    """Ask ``G`` for ``n_per_digit`` samples of every digit and read them back.

    Returns a dict: ``overall`` and ``per_digit`` (share read as the digit asked for),
    ``spread`` per digit (mean per-pixel standard deviation across its samples) and
    ``collapsed``, the digits whose samples are all nearly alike.
    """
    labels = torch.arange(G.num_classes).repeat_interleave(n_per_digit)
    images = generate(G, make_noise(len(labels), G.latent_dim, seed=seed), labels)
    correct = classify(images, classifier) == labels
    per_digit = [correct[labels == d].float().mean().item() for d in range(G.num_classes)]
    spread = [images[labels == d].std(dim=0).mean().item() for d in range(G.num_classes)]
    return {
        "overall": correct.float().mean().item(),
        "per_digit": per_digit,
        "spread": spread,
        "collapsed": [d for d, s in enumerate(spread) if s < COLLAPSE_BELOW],
    }


def mnist_quality(G, n=5000, seed=0, classifier=None):
    """Read ``n`` samples of the MNIST generator ``G`` (plain or conditional, any image size) with the classifier.

    Returns a dict: ``histogram`` (share of the samples read as each digit), ``rare`` and ``dominant``
    (digits under 2% and over 30%: mode-collapse warnings), ``legibility`` (a conditional ``G`` is asked
    for every digit equally often: the share read as the digit asked for; None for a plain ``G``),
    ``distance`` (Frechet distance between the classifier's features of the samples and of the real
    test digits; lower is better), ``floor`` (the same distance for ``n`` real training digits: what a
    perfect generator would get) and ``n``.
    """
    classifier = classifier or load_classifier()
    labels = torch.arange(10).repeat(n // 10 + 1)[:n] if hasattr(G, "num_classes") else None
    noise = make_noise(n, G.latent_dim, seed=seed).split(500)  # in batches: memory stays small
    asked = labels.split(500) if labels is not None else [None] * len(noise)
    images = torch.cat([generate(G, z, y) for z, y in zip(noise, asked)])
    size = images.shape[-1]
    read, features = read_digits(images, classifier)
    histogram = (torch.bincount(read, minlength=10) / n).tolist()
    real = real_digit_statistics(classifier, n, size)
    return {
        "histogram": histogram,
        "rare": [digit for digit, share in enumerate(histogram) if share < RARE_BELOW],
        "dominant": [digit for digit, share in enumerate(histogram) if share > COMMON_ABOVE],
        "legibility": None if labels is None else (read == labels).float().mean().item(),
        "distance": frechet_distance(*statistics(features), real["mean"], real["cov"]),
        "floor": real["floor"],
        "n": n,
    }


def read_digits(images, classifier):
    """The digit the classifier reads in each image, and its features of the image (float64).
    Images of another size than 28x28 (notebook 03 trains at 32x32) are resized to it."""
    if images.shape[-1] != 28:
        images = F.interpolate(images, size=28, mode="bilinear", antialias=True)
    read, features = [], []
    with torch.inference_mode():
        for batch in images.split(1000):
            convolved = classifier.net[:6](batch)  # the two convolutions, shared by both outputs
            read.append(classifier.net[6:](convolved).argmax(1))
            features.append(classifier.features_of(convolved))
    return torch.cat(read), torch.cat(features).double()


@functools.cache
def real_digit_statistics(classifier, n=5000, size=28):
    """The mean and covariance of the classifier's features of the 10,000 real test digits, and the floor:
    the distance of ``n`` random real training digits from them, what a perfect generator would score with
    ``n`` samples. For generators of ``size`` x ``size`` digits, the real digits are resized to that size
    first, as ``load_images`` does for training, so that both lose the same detail to resizing (resizing
    alone, 28 to 32 and back, moves the distance by about 20 times the floor). Seconds; kept for the session."""
    _, test_features = read_digits(resize(load_mnist(train=False)[0], size), classifier)
    train_images = load_mnist(train=True)[0]
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[:n]
    _, train_features = read_digits(resize(train_images[pick], size), classifier)
    mean, cov = statistics(test_features)
    return {"mean": mean, "cov": cov, "floor": frechet_distance(*statistics(train_features), mean, cov)}


def quality_report(result):
    """An ``mnist_quality`` result as a few lines of text."""
    shares = "  ".join(f"{digit}: {share:.0%}" for digit, share in enumerate(result["histogram"]))
    lines = [f"digits read in {result['n']:,} samples: {shares}"]
    if result["legibility"] is not None:
        lines.append(f"legibility (read as the digit asked for): {result['legibility']:.3f}")
    lines.append(
        f"Frechet distance to the real test digits: {result['distance']:.2f} (lower is better; "
        f"{result['n']:,} real training digits: {result['floor']:.2f})"
    )
    warnings = [f"{d} under 2%" for d in result["rare"]] + [f"{d} over 30%" for d in result["dominant"]]
    lines.append("mode collapse: " + (", ".join(warnings) or "no warning"))
    return "\n".join(lines)


def report(result):
    """A legibility result as a small text table."""
    lines = ["digit  legible  spread"]
    for digit, (share, spread) in enumerate(zip(result["per_digit"], result["spread"])):
        lines.append(
            f"{digit:>5}  {share:7.3f}  {spread:6.3f}" + ("  <- mode collapse" if digit in result["collapsed"] else "")
        )
    lines.append(f"overall {result['overall']:.3f}")
    lines.append("mode collapse: " + (", ".join(map(str, result["collapsed"])) or "none"))
    return "\n".join(lines)


def plot_legibility(result, scores=None):
    """A bar chart of ``result`` (from ``legibility``), and beside it, given ``scores`` (a ``KeepBest``'s
    ``(step, legibility)`` pairs), how legibility moved during training."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2 if scores else 1, figsize=(11 if scores else 7, 3), squeeze=False)
    bars = axes[0, -1]
    bars.bar(range(len(result["per_digit"])), result["per_digit"], color="tab:blue")
    bars.axhline(result["overall"], color="gray", linestyle="--", label=f"overall {result['overall']:.1%}")
    bars.set(xticks=range(len(result["per_digit"])), xlabel="digit asked for", ylabel="read back correctly")
    bars.set_ylim(0, 1)
    bars.legend(loc="lower right")
    if scores:
        steps, values = zip(*scores)
        best = max(range(len(values)), key=values.__getitem__)
        axes[0, 0].plot(steps, values, marker=".")
        axes[0, 0].plot(steps[best], values[best], "r*", markersize=12, label=f"best: step {steps[best]:,}")
        axes[0, 0].set(xlabel="step", ylabel="legibility", title="during training")
        axes[0, 0].legend(loc="lower right")
        bars.set_title("the best generator, per digit")
    fig.tight_layout()
    plt.show()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Legibility of a conditional generator's digits.")
    parser.add_argument(
        "checkpoint", help="a checkpoint with a conditional generator, e.g. checkpoints/conditional_gan.pt"
    )
    parser.add_argument("--n-per-digit", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        G = load_generator(args.checkpoint)
    except (FileNotFoundError, ValueError) as error:
        parser.exit(2, f"error: {error}\n")
    if not hasattr(G, "num_classes"):
        parser.exit(
            2, f"error: {args.checkpoint} holds an unconditional generator; legibility needs a conditional one.\n"
        )
    print(report(legibility(G, args.n_per_digit, args.seed)))


if __name__ == "__main__":
    main()
