"""How good are a CIFAR-10 generator's images? A yardstick for notebook 03.

A small convolutional classifier, trained on real CIFAR-10 (a JPEG copy of it), looks at ``n``
samples of the generator. ``cifar_quality(G)`` reports:

- the class it reads in each sample, as a histogram. Real CIFAR-10 has 10% of each class; a class
  under 2% or over 30% of the samples is flagged, a sign of mode collapse;
- the share of samples it is confident about (top class probability 0.5 or more), beside the same
  share for real test images;
- the Frechet distance between the classifier's features of the samples and of the 10,000 real
  test images: the idea of the FID score, with this small classifier in place of the Inception
  network, so the numbers cannot be compared with published FIDs. Lower is better;
- the floor: the same distance between two halves of the 50,000 real training images, about what
  a generator as good as the real data would get. (A little more, in fact: the distance grows as
  the samples get fewer, and the floor compares 25,000 images with 25,000.)

    python -m gan_utils.cifar_quality checkpoints/dcgan.pt

The classifier's weights ship in ``gan_utils/pretrained/cifar10_classifier.pt``, written by
``python -m gan_utils.pretrain cifar-classifier`` (minutes on a GPU). The real images come from
``$GAN_DATA_DIR/cifar10-jpeg/{train,test}`` when that folder is there, else from torchvision's CIFAR10.
"""

import argparse
import functools
import hashlib
import math
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from .checkpoints import load_generator
from .data import cache_dir, data_dir, fingerprint, load_cifar10, load_images, save_atomically
from .training import has_fast_bfloat16
from .utils import generate, make_noise, pick_device

CLASSIFIER_PATH = Path(__file__).parent / "pretrained" / "cifar10_classifier.pt"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
RARE_BELOW, COMMON_ABOVE = 0.02, 0.30  # shares of the samples; real CIFAR-10 has 0.10 of each class
CONFIDENT = 0.5  # a sample is "confident" when the classifier gives its top class at least this probability


# --- the classifier -------------------------------------------------------------------------------------


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
    """Train a ``CifarClassifier`` on ``images`` (in [-1, 1]) and their ``labels``, with augmentation.

    The whole set sits on the device (a GPU when there is one) and each batch is augmented there, so
    no time goes into moving or converting images. SGD with a one-cycle schedule (the learning rate
    rises to ``lr``, then falls to almost 0) reaches a good accuracy in few epochs. Give ``test=(images,
    labels)`` to print the test accuracy after every epoch. ``epochs`` may be a fraction, for a quick check.
    """
    device = torch.device(device) if device else pick_device()
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = True  # let cuDNN pick the fastest convolution for these fixed shapes
    layout = torch.channels_last  # each pixel's channels side by side: faster convolutions on CPUs and GPUs
    model = CifarClassifier().to(device, memory_format=layout)
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
    """The share of ``images`` that ``model`` classifies as their ``labels``."""
    probabilities, _ = read_images(images, model)
    return (probabilities.argmax(1) == labels.cpu()).float().mean().item()


@functools.cache
def load_classifier(path=CLASSIFIER_PATH):
    """The shipped classifier, read once (safely: weights only) and then kept."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No CIFAR-10 classifier at {path}. Train it once with `python -m gan_utils.pretrain "
            "cifar-classifier` (a few minutes on a GPU, an hour or more on a laptop CPU)."
        )
    with torch.random.fork_rng():  # building it draws random weights: keep a training run's random numbers as they are
        model = CifarClassifier()
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as error:
        raise ValueError(
            f"{path} is damaged or does not fit this version of CifarClassifier ({error}). Delete it and "
            "train again: python -m gan_utils.pretrain cifar-classifier"
        ) from None
    return model.eval().to(memory_format=torch.channels_last)  # the faster layout, as in training


# --- reading images with it ---------------------------------------------------------------------------


def read_images(images, classifier, batch_size=1000):
    """The classifier's class probabilities and its 192 features of each image (colour, in [-1, 1]),
    computed in batches on the classifier's device. Images of another size are resized to 32x32."""
    device = next(classifier.parameters()).device
    # bfloat16, as in training: 2-3 times as fast, and it moved the distances by under 0.3% when we tried
    bfloat16 = device.type == "cuda" or has_fast_bfloat16(device)
    was_training = classifier.training
    classifier.eval()
    probabilities, features = [], []
    with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=bfloat16):
        for batch in images.split(batch_size):
            batch = batch.to(device).contiguous(memory_format=torch.channels_last)
            if batch.shape[-1] != 32:
                batch = F.interpolate(batch, size=32, mode="bilinear", antialias=True)
            batch_features = classifier.features(batch)
            probabilities.append(classifier.head(batch_features).float().softmax(1).cpu())
            features.append(batch_features.double().cpu())  # float64: the distance subtracts large sums
    classifier.train(was_training)
    return torch.cat(probabilities), torch.cat(features)


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
    root1 = symmetric_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    trace_of_root = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    return ((mean1 - mean2) ** 2).sum().item() + (cov1.trace() + cov2.trace() - 2 * trace_of_root).item()


def symmetric_sqrt(matrix):
    """The square root of a symmetric positive semi-definite matrix, from its eigenvalues and vectors."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T  # tiny negative eigenvalues: rounding errors


# --- real CIFAR-10, read once -------------------------------------------------------------------------


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


_real_statistics = {}  # the statistics computed in this session, by classifier and data


def real_statistics(classifier):
    """What the samples are compared with: the mean and covariance of the classifier's features of the
    10,000 test images, the share of them it is confident about, and the floor, the distance between two
    random halves of the 50,000 training images. Computed once per classifier and data (seconds on a GPU,
    a minute or two on a CPU), then kept in memory and in a small file in the cache folder."""
    key = weights_hash(classifier) + "|" + "|".join(data_key(real_folder(train)) for train in (True, False))
    key = hashlib.sha256(key.encode()).hexdigest()[:16]
    if key in _real_statistics:
        return _real_statistics[key]
    folder = cache_dir()
    file = folder / f"cifar10-real-statistics-{key}.pt" if folder else None
    if file is not None and file.is_file():
        _real_statistics[key] = torch.load(file, weights_only=True)
        return _real_statistics[key]
    test_probabilities, test_features = read_images(load_real(train=False)[0], classifier)
    _, train_features = read_images(load_real(train=True)[0], classifier)
    halves = torch.randperm(len(train_features), generator=torch.Generator().manual_seed(0)).chunk(2)
    mean, cov = statistics(test_features)
    result = {
        "mean": mean,
        "cov": cov,
        "confident": (test_probabilities.max(1).values >= CONFIDENT).float().mean().item(),
        # random halves: the files are sorted by class, so the first half would hold only 5 classes
        "floor": frechet_distance(*statistics(train_features[halves[0]]), *statistics(train_features[halves[1]])),
    }
    if file is not None:
        save_atomically(result, file)
    _real_statistics[key] = result
    return result


def weights_hash(model):
    """A hash of a model's weights: the cached statistics belong to one classifier."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def data_key(folder):
    """Which real images the statistics come from: a JPEG folder and its fingerprint, or torchvision's set."""
    return f"{folder}:{fingerprint(folder)}" if folder.is_dir() else "torchvision CIFAR10"


# --- the yardstick --------------------------------------------------------------------------------------


def samples(G, n, seed=0, batch_size=500):
    """``n`` images from an unconditional generator, from fixed noise, in batches (memory stays small)."""
    check_generator(G)
    noise = make_noise(n, G.latent_dim, seed=seed)
    return torch.cat([generate(G, z) for z in noise.split(batch_size)])


def check_generator(G):
    """The yardstick reads colour images from an unconditional generator; say so early if ``G`` is another."""
    if hasattr(G, "num_classes") or G.image_shape[0] != 3:
        raise ValueError(
            f"The CIFAR-10 yardstick needs an unconditional generator of colour images, not {type(G).__name__} "
            f"making {G.image_shape} images. Train notebook 03 on CIFAR-10 (GAN_DATASET=cifar10) and try again."
        )


def cifar_quality(G, n=5000, seed=0, classifier=None):
    """Read ``n`` samples of the colour generator ``G`` with the CIFAR-10 classifier.

    Returns a dict: ``histogram`` (share of the samples read as each of ``CLASSES``), ``rare`` and
    ``dominant`` (the classes under 2% and over 30%: mode-collapse warnings), ``confident`` (share of
    samples whose top class has probability 0.5 or more) and ``real_confident`` (the same for the real test
    images), ``distance`` (Frechet distance to the real test images' features; lower is better) and
    ``floor`` (the distance between two halves of the real training images), and ``n``.
    """
    classifier = classifier or load_classifier()
    classifier.to(next(G.parameters()).device)  # read the samples where they are made (a GPU, if G is on one)
    real = real_statistics(classifier)
    probabilities, features = read_images(samples(G, n, seed), classifier)
    histogram = (torch.bincount(probabilities.argmax(1), minlength=len(CLASSES)) / n).tolist()
    return {
        "histogram": histogram,
        "rare": [name for name, share in zip(CLASSES, histogram) if share < RARE_BELOW],
        "dominant": [name for name, share in zip(CLASSES, histogram) if share > COMMON_ABOVE],
        "confident": (probabilities.max(1).values >= CONFIDENT).float().mean().item(),
        "real_confident": real["confident"],
        "distance": frechet_distance(*statistics(features), real["mean"], real["cov"]),
        "floor": real["floor"],
        "n": n,
    }


def report(result):
    """A ``cifar_quality`` result as a small text table."""
    lines = ["class       share"]
    for name, share in zip(CLASSES, result["histogram"]):
        flag = "  <- under 2%" if name in result["rare"] else "  <- over 30%" if name in result["dominant"] else ""
        lines.append(f"{name:<10}  {share:5.3f}{flag}")
    lines.append(
        f"confident (top class >= {CONFIDENT}): {result['confident']:.3f} of {result['n']:,} samples "
        f"(real test images: {result['real_confident']:.3f})"
    )
    lines.append(f"Frechet distance to the real test images: {result['distance']:.3f} (lower is better)")
    lines.append(f"floor, real vs real (two halves of the training images): {result['floor']:.3f}")
    warnings = [f"{name} under 2%" for name in result["rare"]] + [f"{name} over 30%" for name in result["dominant"]]
    lines.append("mode collapse: " + (", ".join(warnings) or "no warning"))
    return "\n".join(lines)


def plot_cifar_quality(G, n=1000, seed=0, classifier=None, top=16):
    """For notebook 03, one figure: which class the classifier reads in ``n`` samples of ``G`` (a bar
    chart, with the 2% and 30% warning lines), and the ``top`` samples it is most sure of, labelled."""
    import matplotlib.pyplot as plt

    classifier = classifier or load_classifier()
    classifier.to(next(G.parameters()).device)
    images = samples(G, n, seed)
    probabilities, _ = read_images(images, classifier)
    confidence, predicted = probabilities.max(1)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description="How good are a CIFAR-10 generator's images? (see the module's doc)")
    parser.add_argument("checkpoint", help="a checkpoint with a 32x32 colour generator, e.g. checkpoints/dcgan.pt")
    parser.add_argument("--n", type=int, default=5000, help="how many samples to read (default 5000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classifier", default=CLASSIFIER_PATH, help="the classifier's weights (default: shipped)")
    args = parser.parse_args(argv)
    try:
        G = load_generator(args.checkpoint, device=pick_device())
        check_generator(G)
        result = cifar_quality(G, args.n, args.seed, load_classifier(Path(args.classifier)))
    except (FileNotFoundError, ValueError) as error:
        parser.exit(2, f"error: {error}\n")
    print(report(result))


if __name__ == "__main__":
    main()
