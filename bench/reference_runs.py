"""The reference runs: each notebook's recipe, trained from seed 0, scored every few hundred steps.

What the lessons promise ("98% legible after 2 minutes") and what each training cell forecasts on the
student's own machine (``gan_utils.forecast``) are read off these curves: the quality the lesson's own
yardstick gives at each step, in one precision. Step for step, a run is the same on any machine with that
precision, so the curve holds everywhere; only how many steps fit in the budget differs.

- 01: notebook 01's MLP GAN on MNIST; the Frechet distance of 5,000 samples (``mnist_quality``), lower is better.
- 02: notebook 02's conditional GAN; legibility of 100 samples per digit (``legibility``), as ``KeepBest`` scores it.
- 03: notebook 03's DCGAN on CIFAR-10 at 32x32 (the JPEG copy in $GAN_DATA_DIR/cifar10-jpeg); the Frechet
  distance of 5,000 samples (``cifar_quality``), lower is better.

With ``--pictures``, the run also draws 64 samples from fixed noise at each of ``PICTURES``' steps, the grids
notebook 03 shows (docs/images/cifar_samples_<step>.png).

One precision per run, on one thread (two runs, one per precision, then share a 2-core machine). Writes
``gan_utils/reference_runs/<precision>.json`` after every check, so an interrupted run keeps what it measured.
About 25 minutes per precision on a 2-core CPU.

    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.reference_runs --precision float32 &
    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.reference_runs --precision bfloat16
"""

import argparse
import datetime
import json
import time

import torch
from torchvision.utils import save_image

from bench import harness
from gan_utils.forecast import REFERENCE_DIR
from gan_utils.utils import denorm, generate, make_noise

STEPS = {"01": 30_000, "02": 16_000, "03": 12_000}  # past what each default budget gives on the reference machine
CHECKS = {  # the steps at which each run is scored: densely where the quality still changes fast
    "01": [250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, *range(10_000, 30_001, 2500)],
    "02": [250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7000, *range(8000, 16_001, 1000)],
    "03": [100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7000, 8000, 10_000, 12_000],
}
PICTURES = {"03": (1000, 3000, 8000)}  # notebook 03's sample grids
GRID = harness.ROOT / "docs" / "images" / "cifar_samples_{}.png"
MODELS = {"01": "01", "02": "02", "03": "03-cifar10"}  # each lesson's recipe in the harness: 03 on CIFAR-10
METRICS = {
    "01": ("Frechet distance", False, lambda G: harness.distance(G, "01")),
    "02": ("legible", True, harness.legible),
    "03": ("Frechet distance", False, lambda G: harness.distance(G, "03-cifar10")),
}


def run(lesson, bfloat16, results, save, pictures=False, where=None):
    """Train one lesson's recipe to its last check, scoring at each; store the curve in ``results``."""
    images, labels = harness.data(MODELS[lesson])
    trainer = harness.tweak(harness.recipe(MODELS[lesson], seed=0), bfloat16=bfloat16)
    name, higher_is_better, score = METRICS[lesson]
    curve = [[0, score(trainer.generator)]]
    training_seconds = 0.0
    for check in CHECKS[lesson]:
        started = time.perf_counter()
        trainer.train(images, labels, steps=check - trainer.step)
        training_seconds += time.perf_counter() - started
        curve.append([trainer.step, round(score(trainer.generator), 4)])
        results[lesson] = {
            "metric": name,
            "higher_is_better": higher_is_better,
            "curve": curve,
            "steps_per_second": round(trainer.step / training_seconds, 1),  # this run's, scoring not counted
        } | (where or {})
        save()
        if pictures and trainer.step in PICTURES.get(lesson, ()):  # the same 64 noise vectors at each
            G = trainer.generator
            save_image(
                denorm(generate(G, make_noise(64, G.latent_dim, seed=0))), str(GRID).format(trainer.step), padding=1
            )
        print(f"{lesson} step {trainer.step:>6,}: {name} {curve[-1][1]:.4f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", choices=["float32", "bfloat16"], required=True)
    parser.add_argument("--lessons", nargs="+", default=["01", "02", "03"], choices=["01", "02", "03"])
    parser.add_argument("--pictures", action="store_true", help="notebook 03's sample grids (docs/images/)")
    args = harness.parse(parser, argv, __spec__.name)
    torch.set_num_threads(1)
    path = REFERENCE_DIR / f"{args.precision}.json"
    old = json.loads(path.read_text()) if path.exists() else {"lessons": {}}
    state = {"precision": args.precision, "seed": 0, "lessons": old["lessons"]}
    # each lesson says where and when it ran: a run of some lessons keeps the others' curves as they were
    where = {"machine": harness.machine(), "date": datetime.date.today().isoformat(), "command": args.command}

    def save():
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(state, indent=1) + "\n")

    for lesson in args.lessons:
        run(lesson, args.precision == "bfloat16", state["lessons"], save, args.pictures, where)


if __name__ == "__main__":
    main()
