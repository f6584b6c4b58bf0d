"""How good are a generator's samples? The yardsticks of the lessons.

A small classifier trained on the real images reads the samples: ``DigitClassifier`` for MNIST,
``CifarClassifier`` for CIFAR-10 (both ship in ``pretrained/``; ``tools/pretrain.py`` trains them).

- ``legibility(G)`` (notebook 02) asks a conditional ``G`` for every digit and reports the share read as the
  digit asked for, and the digits whose samples are all nearly alike (mode collapse).
- ``mnist_quality(G)`` (notebooks 01 and 03) and ``cifar_quality(G)`` (notebook 03) report the ``summary`` of
  ``n`` samples: the idea of FID, with a small classifier in place of the Inception network (so the numbers
  are not comparable with published FIDs).
"""

import functools
import hashlib
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .checkpoints import PRETRAINED_DIR
from .data import cache_dir, data_dir, fingerprint, load_cifar10, load_images, load_mnist, resize, save_atomically
from .training import has_fast_bfloat16
from .utils import generate, make_noise

DIGITS = tuple(range(10))
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")  # CIFAR-10's
RARE_BELOW, COMMON_ABOVE = 0.02, 0.30  # shares of the samples; the real data have 10% of each class
COLLAPSE_BELOW = 0.05  # mean per-pixel spread of one digit's samples; real MNIST: 0.15 (ones) to 0.34
CONFIDENT = 0.5  # a sample is "confident" when the classifier gives its top class at least this probability


# --- the Frechet distance -----------------------------------------------------------------------------------


def statistics(features):
    """The mean and covariance matrix of features ``(N, D)``: the Gaussian the Frechet distance compares."""
    return features.mean(0), torch.cov(features.T)


def frechet_distance(mean1, cov1, mean2, cov2):
    """The Frechet distance between the Gaussians N(mean1, cov1) and N(mean2, cov2):
    |mean1 - mean2|^2 + trace(cov1 + cov2 - 2 sqrt(cov1 cov2)), computed in float64.

    sqrt(cov1 cov2) is not symmetric, but its trace equals that of sqrt(A) with the symmetric
    A = sqrt(cov1) cov2 sqrt(cov1), and symmetric square roots come safely from ``eigh``.
    """
    mean1, cov1, mean2, cov2 = (t.double() for t in (mean1, cov1, mean2, cov2))
    values, vectors = torch.linalg.eigh(cov1)
    root1 = (vectors * values.clamp(min=0).sqrt()) @ vectors.T  # tiny negative eigenvalues: rounding errors
    middle = root1 @ cov2 @ root1
    trace_of_root = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    return ((mean1 - mean2) ** 2).sum().item() + (cov1.trace() + cov2.trace() - 2 * trace_of_root).item()


# --- the two classifiers ------------------------------------------------------------------------------------


class DigitClassifier(nn.Module):
    """Two convolutions and a linear layer: a 28x28 digit in [-1, 1] -> 10 class logits."""

    image_size, bfloat16 = 28, False

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

    def read(self, x):
        """The logits and the features the Frechet distance compares: the 64 channels of the last
        convolution, each averaged over a 3x3 grid of the image (576 numbers per digit)."""
        convolved = self.net[:6](x)  # the two convolutions, shared by both outputs
        return self.net[6:](convolved), F.adaptive_avg_pool2d(convolved, 3).flatten(1)


def conv_block(channels_in, channels_out):
    """A 3x3 convolution, BatchNorm and ReLU: the building block of VGG-style networks."""
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),  # no bias: BatchNorm adds its own
        nn.BatchNorm2d(channels_out),
        nn.ReLU(),
    )


class CifarClassifier(nn.Module):
    """Three stages of two 3x3 convolutions (48, 96 and 192 channels), each stage halving the image:
    a 32x32 colour image in [-1, 1] -> 192 features -> 10 class logits (about 650,000 weights)."""

    # read in bfloat16 as it was trained: 2-3 times as fast, and it moved the distances by under 0.3%
    image_size, bfloat16 = 32, True

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_block(3, 48),
            conv_block(48, 48),
            nn.MaxPool2d(2),  # 32x32 -> 16x16
            conv_block(48, 96),
            conv_block(96, 96),
            nn.MaxPool2d(2),  # 16x16 -> 8x8
            conv_block(96, 192),
            conv_block(192, 192),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.AdaptiveAvgPool2d(1),  # the mean of each channel: 192 numbers that describe the image
            nn.Flatten(),
        )
        self.head = nn.Linear(192, len(CLASSES))

    def forward(self, x):
        return self.head(self.features(x))

    def read(self, x):
        features = self.features(x)
        return self.head(features), features


CLASSIFIERS = {"mnist": DigitClassifier, "cifar10": CifarClassifier}


def classifier_file(name):
    return PRETRAINED_DIR / f"{name}_classifier.pt"


@functools.cache
def load_classifier(name="mnist", path=None):
    """The shipped classifier for ``name`` ("mnist" or "cifar10"), or the weights at ``path``; read once
    (safely: weights only), then kept."""
    path = Path(path) if path else classifier_file(name)
    retrain = f"python tools/pretrain.py {name}-classifier"
    if not path.is_file():
        raise FileNotFoundError(f"No {name} classifier at {path}. Train it once with `{retrain}`.")
    with torch.random.fork_rng():  # building it draws random weights: keep a training run's random numbers as they are
        model = CLASSIFIERS[name]()
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as error:
        raise ValueError(
            f"{path} is damaged or does not fit this version of {type(model).__name__} ({error}). "
            f"Delete it and train again: {retrain}"
        ) from None
    if name == "cifar10":
        model.to(memory_format=torch.channels_last)  # each pixel's channels side by side, as in training: faster
    return model.eval()


def read(images, classifier, batch_size=1000):
    """The classifier's class probabilities and its features (float64) of each image, in batches on the
    classifier's device. Images of another size are resized to its size (notebook 03 trains at 32x32)."""
    device = next(classifier.parameters()).device
    bfloat16 = classifier.bfloat16 and (device.type == "cuda" or has_fast_bfloat16(device))
    probabilities, features = [], []
    with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=bfloat16):
        for batch in images.split(batch_size):
            batch = batch.to(device)
            if batch.shape[-1] != classifier.image_size:
                batch = F.interpolate(batch, size=classifier.image_size, mode="bilinear", antialias=True)
            logits, batch_features = classifier.read(batch)
            probabilities.append(logits.float().softmax(1).cpu())
            features.append(batch_features.double().cpu())  # float64: the distance subtracts large sums
    return torch.cat(probabilities), torch.cat(features)


def classify(images, classifier=None):
    """The digit the classifier reads in each image (grey digits in [-1, 1], any size)."""
    return read(images, classifier or load_classifier())[0].argmax(1)


def class_histogram(images, classifier=None):
    """How many of ``images`` (grey digits in [-1, 1], any size) the classifier reads as each digit."""
    return torch.bincount(classify(images, classifier), minlength=10)


def spread(images):
    """The per-pixel standard deviation across ``images``, averaged over the pixels: near 0 when every
    image is nearly the same (mode collapse)."""
    return images.std(dim=0).mean().item()


def samples(G, n, seed=0, labels=None, batch_size=500):
    """``n`` samples of ``G`` from fixed noise (a conditional ``G`` asked for ``labels``), in batches:
    memory stays small."""
    noise = make_noise(n, G.latent_dim, seed=seed).split(batch_size)
    asked = labels.split(batch_size) if labels is not None else [None] * len(noise)
    return torch.cat([generate(G, z, y) for z, y in zip(noise, asked)])


# --- digits -------------------------------------------------------------------------------------------------


def legibility(G, n_per_digit=100, seed=0, classifier=None):
    """Ask ``G`` for ``n_per_digit`` samples of every digit and read them back.

    Returns a dict: ``overall`` and ``per_digit`` (share read as the digit asked for), ``spread`` per digit
    and ``collapsed``, the digits whose samples are all nearly alike.
    """
    labels = torch.arange(G.num_classes).repeat_interleave(n_per_digit)
    images = generate(G, make_noise(len(labels), G.latent_dim, seed=seed), labels)
    correct = classify(images, classifier) == labels
    per_digit = [correct[labels == d].float().mean().item() for d in range(G.num_classes)]
    spreads = [spread(images[labels == d]) for d in range(G.num_classes)]
    return {
        "overall": correct.float().mean().item(),
        "per_digit": per_digit,
        "spread": spreads,
        "collapsed": [d for d, s in enumerate(spreads) if s < COLLAPSE_BELOW],
    }


def mnist_quality(G, n=5000, seed=0, classifier=None):
    """Read ``n`` samples of the MNIST generator ``G`` (plain or conditional, any image size).

    Returns ``summary``'s dict with ``legibility``: a conditional ``G`` is asked for every digit equally
    often, and this is the share read as the digit asked for (None for a plain ``G``). The floor is the
    distance of ``n`` real training digits.
    """
    classifier = classifier or load_classifier()
    labels = torch.arange(10).repeat(n // 10 + 1)[:n] if hasattr(G, "num_classes") else None
    images = samples(G, n, seed, labels)
    probabilities, features = read(images, classifier)
    result = summary(probabilities, features, real_digits(classifier, n, images.shape[-1]), DIGITS)
    read_as_asked = None if labels is None else (probabilities.argmax(1) == labels).float().mean().item()
    return {**result, "legibility": read_as_asked}


@functools.cache
def real_digits(classifier, n=5000, size=28):
    """The mean and covariance of the classifier's features of the 10,000 real test digits, and the floor
    (what a perfect generator would score with ``n`` samples). The real digits are resized to ``size`` first,
    as for training, so that both lose the same detail (resizing alone moves the distance ~20x the floor)."""
    _, test_features = read(resize(load_mnist(train=False)[0], size), classifier)
    train_images = load_mnist(train=True)[0]
    pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[:n]
    _, train_features = read(resize(train_images[pick], size), classifier)
    mean, cov = statistics(test_features)
    return {"mean": mean, "cov": cov, "floor": frechet_distance(*statistics(train_features), mean, cov)}


# --- CIFAR-10 -----------------------------------------------------------------------------------------------


def cifar_quality(G, n=5000, seed=0, classifier=None):
    """Read ``n`` samples of the colour generator ``G`` with the CIFAR-10 classifier.

    Returns ``summary``'s dict with ``confident`` (share of samples whose top class has probability 0.5 or
    more) and ``real_confident`` (the same for the real test images). The floor is the distance of 5,000 real
    training images, scored as the samples are: what a perfect generator would get with ``n`` = 5,000.
    """
    if hasattr(G, "num_classes") or G.image_shape[0] != 3:
        raise ValueError(
            f"The CIFAR-10 yardstick needs an unconditional generator of colour images, not {type(G).__name__} "
            f"making {G.image_shape} images. Train notebook 03 on CIFAR-10 (GAN_DATASET=cifar10) and try again."
        )
    classifier = classifier or load_classifier("cifar10")
    classifier.to(next(G.parameters()).device)  # read the samples where they are made (a GPU, if G is on one)
    real = real_cifar10(classifier)
    probabilities, features = read(samples(G, n, seed), classifier)
    return {
        **summary(probabilities, features, real, CLASSES),
        "confident": (probabilities.max(1).values >= CONFIDENT).float().mean().item(),
        "real_confident": real["confident"],
    }


def load_real(train=True):
    """Real CIFAR-10 as ``(images, labels)``: the JPEG copy in ``$GAN_DATA_DIR/cifar10-jpeg`` when it is
    there (read through ``load_images``' cache), else torchvision's original CIFAR10 (downloaded if needed)."""
    folder = real_folder(train)
    if not folder.is_dir():
        return load_cifar10(train=train)
    classes = tuple(sorted(path.name for path in folder.iterdir() if path.is_dir()))
    if classes != CLASSES:  # the labels are the subfolders in alphabetical order, which must be CLASSES'
        raise ValueError(f"{folder} should hold one folder per CIFAR-10 class, {CLASSES}, but holds {classes}.")
    return load_images(folder, image_size=32, with_labels=True)


def real_folder(train=True):
    """Where the JPEG copy of CIFAR-10's training or test images would be."""
    return data_dir() / "cifar10-jpeg" / ("train" if train else "test")


_real_cifar10 = {}  # the statistics computed in this session, by classifier and data


def real_cifar10(classifier):
    """The mean and covariance of the classifier's features of the 10,000 real test images, the share of
    them it is confident about, and the floor (see ``cifar_quality``). Computed once per classifier and data
    (seconds on a GPU, a minute or two on a CPU), then kept in memory and in a small file in the cache folder."""
    digest = hashlib.sha256(b"floor: 5,000 training images")  # how, which classifier (weights), which images
    for name, tensor in classifier.state_dict().items():
        digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    for folder in (real_folder(True), real_folder(False)):
        digest.update(f"{folder}:{fingerprint(folder)}".encode() if folder.is_dir() else b"torchvision CIFAR10")
    key, folder = digest.hexdigest()[:16], cache_dir()
    file = folder / f"cifar10-real-statistics-{key}.pt" if folder else None
    if key not in _real_cifar10 and file is not None and file.is_file():
        _real_cifar10[key] = torch.load(file, weights_only=True)
    if key not in _real_cifar10:
        test_probabilities, test_features = read(load_real(train=False)[0], classifier)
        train_images = load_real(train=True)[0]  # sorted by class: a random 5,000 holds them all
        pick = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))[:5000]
        _, train_features = read(train_images[pick], classifier)
        mean, cov = statistics(test_features)
        _real_cifar10[key] = {
            "mean": mean,
            "cov": cov,
            "confident": (test_probabilities.max(1).values >= CONFIDENT).float().mean().item(),
            "floor": frechet_distance(*statistics(train_features), mean, cov),
        }
        if file is not None:
            save_atomically(_real_cifar10[key], file)
    return _real_cifar10[key]


# --- what both yardsticks report ----------------------------------------------------------------------------


def summary(probabilities, features, real, names):
    """What both yardsticks report: ``histogram`` (share of the samples read as each class of ``names``),
    ``rare`` and ``dominant`` (the classes under 2% and over 30%: mode-collapse warnings), ``distance``
    (Frechet distance to the real test images' features; lower is better), ``floor`` and ``n``."""
    n = len(probabilities)
    histogram = (torch.bincount(probabilities.argmax(1), minlength=len(names)) / n).tolist()
    return {
        "histogram": histogram,
        "rare": [name for name, share in zip(names, histogram) if share < RARE_BELOW],
        "dominant": [name for name, share in zip(names, histogram) if share > COMMON_ABOVE],
        "distance": frechet_distance(*statistics(features), real["mean"], real["cov"]),
        "floor": real["floor"],
        "n": n,
    }


def report(result):
    """An ``mnist_quality`` or ``cifar_quality`` result as a small text table."""
    names = CLASSES if "confident" in result else DIGITS
    lines = ["class       share"]
    for name, share in zip(names, result["histogram"]):
        flag = "  <- under 2%" if name in result["rare"] else "  <- over 30%" if name in result["dominant"] else ""
        lines.append(f"{name:<10}  {share:5.3f}{flag}")
    if result.get("legibility") is not None:
        lines.append(f"legibility (read as the digit asked for): {result['legibility']:.3f}")
    if "confident" in result:
        lines.append(
            f"confident (top class >= {CONFIDENT}): {result['confident']:.3f} of {result['n']:,} samples "
            f"(real test images: {result['real_confident']:.3f})"
        )
    lines.append(
        f"Frechet distance to the real test images: {result['distance']:.3f} (lower is better; "
        f"floor, real against real: {result['floor']:.3f})"
    )
    warnings = [f"{name} under 2%" for name in result["rare"]] + [f"{name} over 30%" for name in result["dominant"]]
    lines.append("mode collapse: " + (", ".join(warnings) or "no warning"))
    return "\n".join(lines)


# --- the lessons' figures -----------------------------------------------------------------------------------


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


def plot_cifar_quality(G, n=1000, seed=0, classifier=None, top=16):
    """Which class the CIFAR-10 classifier reads in ``n`` samples of ``G`` (a bar chart, with the 2% and
    30% warning lines), and the ``top`` samples it is most sure of, labelled."""
    import matplotlib.pyplot as plt

    classifier = classifier or load_classifier("cifar10")
    classifier.to(next(G.parameters()).device)
    images = samples(G, n, seed)
    confidence, predicted = read(images, classifier)[0].max(1)
    shares = torch.bincount(predicted, minlength=len(CLASSES)) / n
    columns = top // 2
    layout = [["bars"] * columns, [f"{i}" for i in range(columns)], [f"{i}" for i in range(columns, top)]]
    fig, axes = plt.subplot_mosaic(layout, figsize=(1.3 * columns, 7), height_ratios=[2, 1, 1])
    axes["bars"].bar(CLASSES, shares.tolist())
    for share in (RARE_BELOW, COMMON_ABOVE):
        axes["bars"].axhline(share, color="red", linestyle="--", linewidth=1)
    axes["bars"].set_ylabel(f"share of {n:,} samples")
    axes["bars"].set_title("which class the CIFAR-10 classifier reads (red: the 2% and 30% warning lines)")
    axes["bars"].tick_params(axis="x", labelsize=8)
    for i, index in enumerate(confidence.argsort(descending=True)[:top].tolist()):
        axes[f"{i}"].imshow(((images[index] + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy())
        axes[f"{i}"].set_title(f"{CLASSES[predicted[index]]} {confidence[index]:.2f}", fontsize=8)
        axes[f"{i}"].set_axis_off()
    fig.tight_layout()
    plt.show()
