"""Pictures for the race tables: each named variant of notebook 03's DCGAN trained for ``--minutes`` on CIFAR-10
from ``--seed``, then 64 samples of its averaged generator from fixed noise (seed 0, as the lesson draws them)
saved to ``docs/images/race_<variant>.png``, with the yardstick's distance of 5,000 samples printed.

    OMP_NUM_THREADS=1 GAN_BFLOAT16=0 GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.race_pictures \
        w32_lr_4e-4_batch_32 w32 [--minutes 5] [--seed 0]
"""

import argparse

from torchvision.utils import save_image

import gan_utils
from bench import harness, recipe_variants
from gan_utils.quality import cifar_quality


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", choices=list(recipe_variants.VARIANTS["03-cifar10"]))
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    images, _ = harness.data("03-cifar10")
    for name in args.variants:
        trainer = recipe_variants.build("03-cifar10", name, args.seed, "float32")
        trainer.train(images, minutes=args.minutes)
        samples = gan_utils.generate(trainer.generator, gan_utils.make_noise(64, trainer.G.latent_dim, seed=0))
        path = harness.ROOT / "docs" / "images" / f"race_{name}.png"
        save_image(samples, path, nrow=8, normalize=True, value_range=(-1, 1))
        result = cifar_quality(trainer.generator, n=5000)
        flagged = ", ".join(result["rare"] + result["dominant"]) or "none"
        print(f"{name}: {trainer.step:,} steps, distance {result['distance']:.2f}, classes flagged: {flagged}; {path}")


if __name__ == "__main__":
    main()
