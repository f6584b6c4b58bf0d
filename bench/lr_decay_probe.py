"""A probe for issue 30's follow-up: notebook 03's CPU recipe with a learning rate that holds for ``--hold`` steps
(default 0) and then halves every ``half_life`` steps (0: the recipe as it is), one thread, scored by the lesson's
CIFAR-10 yardstick (``--model 03``: on digits, by the MNIST one) every ``--every`` steps to 12,000. The recipe's own
curve gets worse after about 6,000 steps (docs/benchmarks.md, "The new recipe's reference runs"); this asks
whether a decaying rate holds it.

    GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.lr_decay_probe 3000 [--hold 4000] [--seeds 0 1 2]
"""

import argparse

import torch

from bench import harness


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("half_life", type=float, help="steps in which the learning rate halves (0: no decay)")
    parser.add_argument("--hold", type=int, default=0, help="steps at the recipe's rate before it decays")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--every", type=int, default=2000, help="steps between scores (default 2,000)")
    parser.add_argument("--precision", choices=["float32", "bfloat16"], default="bfloat16")
    parser.add_argument("--model", choices=["03-cifar10", "03"], default="03-cifar10", help="03: on digits")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for seed in args.seeds:
        probe(args, seed)


def probe(args, seed):
    trainer = harness.tweak(harness.recipe(args.model, seed=seed), bfloat16=args.precision == "bfloat16")
    images, _ = harness.data(args.model)
    base, step = trainer.opt_G.param_groups[0]["lr"], trainer.train_step

    def decaying_step(*arguments):
        for opt in (trainer.opt_G, trainer.opt_D):  # the rate for this step, from the steps made so far
            opt.param_groups[0]["lr"] = (
                base * 0.5 ** (max(0, trainer.step - args.hold) / args.half_life) if args.half_life else base
            )
        return step(*arguments)

    trainer.train_step = decaying_step
    for check in range(args.every, 12_001, args.every):
        trainer.train(images, steps=check - trainer.step)
        distance = harness.distance(trainer.generator, args.model)
        print(
            f"hold {args.hold}, half-life {args.half_life:g}, seed {seed}: "
            f"step {trainer.step:,}, distance {distance:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
