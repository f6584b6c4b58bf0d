"""What each of GANTrainer's speed-ups gives, by taking them away one at a time.

For notebook 02's cGAN (batch 256) and notebook 03's DCGAN (32x32, batch 64), training steps per
second of GANTrainer as shipped and of variants that each undo one choice (bfloat16 off, plain
for-loop Adam instead of fused, D not frozen during G's update, torch's nn.Dropout or masks drawn
with torch.rand instead of gan_utils' Dropout for the cGAN, or its discriminator without the projection;
the contiguous memory layout instead of channels_last for the DCGAN; one thread instead of the default)
or try one that was not adopted (torch.compile; the first 3 steps show its compile time).
Variants take turns (A, B, C, ...), ``--seconds`` each, ``--rounds`` times; the
table shows the median rate relative to the shipped trainer, so > 1 means the variant is faster.
Random data: the arithmetic does not depend on the pixels.

    .venv/bin/python bench/variants.py [--seconds 3] [--rounds 3]
"""

import argparse
import contextlib
import statistics
import time

import common
import torch

import gan_utils
from gan_utils import training


def shipped(trainer):
    return trainer


def float32(trainer):
    trainer.bfloat16 = False
    return trainer


def plain_adam(trainer):
    for name, net in (("opt_G", trainer.G), ("opt_D", trainer.D)):
        settings = getattr(trainer, name).param_groups[0]
        setattr(trainer, name, torch.optim.Adam(net.parameters(), lr=settings["lr"], betas=settings["betas"]))
    return trainer


def contiguous(trainer):
    trainer.G.to(memory_format=torch.contiguous_format)
    trainer.D.to(memory_format=torch.contiguous_format)
    return trainer


class RandDropout(gan_utils.models.Dropout):
    """gan_utils' Dropout with its earlier mask: one ``torch.rand`` draw per value."""

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, device=x.device) >= self.p
        return x * (keep.to(x.dtype) / (1 - self.p))


def replace_dropout(trainer, make):
    for net in (trainer.G, trainer.D):
        for block in net.modules():
            if isinstance(block, torch.nn.Sequential):
                for i, layer in enumerate(block):
                    if isinstance(layer, gan_utils.models.Dropout):
                        block[i] = make(layer.p)
    return trainer


def torch_dropout(trainer):
    return replace_dropout(trainer, torch.nn.Dropout)


def rand_dropout(trainer):
    return replace_dropout(trainer, RandDropout)


def no_projection(trainer):
    """The cGAN's discriminator without its projection term (its label vectors then get no gradient)."""
    trainer.D.label_vectors = None
    return trainer


def compiled(trainer):
    G, D = trainer.G, trainer.D
    trainer.G, trainer.D = torch.compile(G), torch.compile(D)
    for attribute in ("latent_dim", "image_shape", "num_classes"):
        if hasattr(G, attribute):
            setattr(trainer.G, attribute, getattr(G, attribute))
    return trainer


VARIANTS = {
    "as shipped": (shipped, {}),
    "float32 (no bfloat16)": (float32, {}),
    "plain Adam (not fused)": (plain_adam, {}),
    "D not frozen in G's update": (shipped, {"unfrozen": True}),
    "nn.Dropout (bernoulli_ masks)": (torch_dropout, {"mlp_only": True}),
    "Dropout masks from torch.rand": (rand_dropout, {"mlp_only": True}),
    "D without the projection": (no_projection, {"mlp_only": True}),
    "contiguous layout (no channels_last)": (contiguous, {"conv_only": True}),
    "1 thread": (shipped, {"threads": 1}),
    "torch.compile (not adopted)": (compiled, {}),
}


MODELS = ["02 cGAN", "03 DCGAN 32x32"]  # of common.NOTEBOOK_MODELS


@contextlib.contextmanager
def conditions(threads=None, unfrozen=False, **_):
    """Run with another thread count, or with D's weights left trainable during G's update."""
    before, frozen = torch.get_num_threads(), training.frozen
    if threads:
        torch.set_num_threads(threads)
    if unfrozen:
        training.frozen = lambda net: contextlib.nullcontext()
    try:
        yield
    finally:
        torch.set_num_threads(before)
        training.frozen = frozen


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    common.add_docs_arguments(parser)
    args = parser.parse_args()

    header, rows = ["variant"], {name: [name] for name in VARIANTS}
    for model in MODELS:
        build, image_size = common.NOTEBOOK_MODELS[model]
        batch_size = build().batch_size
        conditional = model == "02 cGAN"
        images = torch.rand(4096, 1, image_size, image_size) * 2 - 1
        labels = torch.randint(10, (4096,)) if conditional else None
        runs, first_steps = {}, {}
        for name, (change, options) in VARIANTS.items():
            if options.get("conv_only") and conditional or options.get("mlp_only") and not conditional:
                continue
            trainer = change(build())
            started = time.perf_counter()
            with conditions(**options):
                trainer.train(images, labels, batch_size=batch_size, steps=3)  # warm-up (and compiling)
            first_steps[name] = time.perf_counter() - started
            runs[name] = (trainer, options, [])
        for _ in range(args.rounds):
            for trainer, options, rates in runs.values():
                before, started = trainer.step, time.perf_counter()
                with conditions(**options):
                    trainer.train(images, labels, batch_size=batch_size, minutes=args.seconds / 60)
                rates.append((trainer.step - before) / (time.perf_counter() - started))
        base = statistics.median(runs["as shipped"][2])
        header += [f"{model}: steps/s (x shipped)", f"{model}: first 3 steps, s"]
        for name in VARIANTS:
            if name in runs:
                rate = statistics.median(runs[name][2])
                rows[name] += [f"{rate:.1f} ({rate / base:.2f}x)", f"{first_steps[name]:.1f}"]
            else:
                rows[name] += ["-", "-"]
        print(f"{model}: done", flush=True)
    text = (
        f"Median of {args.rounds} interleaved turns of {args.seconds:g} s per variant; random data; "
        f"bfloat16 is on in 'as shipped' only where the CPU has bfloat16 instructions "
        f"(here: {training.has_fast_bfloat16(torch.device('cpu'))}).\n\n" + common.table(header, list(rows.values()))
    )
    common.report("variants", text, args)


if __name__ == "__main__":
    main()
