"""What a training step costs, and what each of GANTrainer's speed-ups gives, by taking them away one at a time.

For each notebook's recipe in ``--models`` (02: the cGAN; 03: the DCGAN at 32x32 on grey images; also 01, the
MLP GAN; 03-cifar10: the DCGAN on colour images; 03-64: at 64x64, notebook 03's compute table), training steps
a second of the trainer as shipped and of variants that each undo one choice (bfloat16 off, plain for-loop
Adam instead of fused, D not frozen during G's update, torch's ``nn.Dropout`` or masks drawn with
``torch.rand`` instead of gan_utils' ``Dropout``, the discriminator without its projection, PyTorch's default
memory layout instead of channels_last, one thread instead of the default) or add what a lesson adds (the live
figure, redrawn every 3 seconds; it also draws at the start and the end of each turn, so give it turns much
longer than 3 s to see a lesson's share). The variants take turns of ``--seconds`` each, ``--rounds`` times after a
warm-up turn; the table gives the median steps a second and its ratio to the shipped trainer's (> 1: the
variant is faster). Random data: the arithmetic does not depend on the pixels.

``--flops``: instead, how close notebook 03's DCGAN step comes to this machine's arithmetic peak, at each of
``--widths`` in float32 and, where the CPU has it natively, bfloat16 (turns as above): the step's FLOPs
(``harness.flops_per_image``), the GFLOP/s it reaches against the fastest large matrix product in the same
precision, and where a step's time goes, by PyTorch's profiler (its operators' own CPU time, grouped).

    .venv/bin/python -m bench.step_costs [--models 02 03] [--variants "1 thread" ...] [--seconds 3] [--rounds 3]
    .venv/bin/python -m bench.step_costs --flops [--widths 32 64] [--seconds 3] [--rounds 3]
"""

import argparse
import contextlib
from functools import partial

import torch

import gan_utils
from bench import harness
from gan_utils import training


@contextlib.contextmanager
def threads(n):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def unfrozen():
    """Train with D's weights left trainable during G's update (their gradients are thrown away)."""
    frozen = training.frozen
    training.frozen = lambda net: contextlib.nullcontext()
    try:
        yield
    finally:
        training.frozen = frozen


class RandDropout(gan_utils.models.Dropout):
    """gan_utils' Dropout with its earlier mask: one ``torch.rand`` draw per value."""

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * ((torch.rand(x.shape, device=x.device) >= self.p).to(x.dtype) / (1 - self.p))


def replace_dropout(make, trainer):
    """Each of gan_utils' dropout layers replaced by ``make(p)``; None for networks without dropout."""
    replaced = 0
    for block in [*trainer.G.modules(), *trainer.D.modules()]:
        if isinstance(block, torch.nn.Sequential):
            for i, layer in enumerate(block):
                if isinstance(layer, gan_utils.models.Dropout):
                    block[i], replaced = make(layer.p), replaced + 1
    return {} if replaced else None


def float32(trainer):
    trainer.bfloat16 = False
    return {}


def plain_adam(trainer):
    for name, net in (("opt_G", trainer.G), ("opt_D", trainer.D)):
        settings = getattr(trainer, name).param_groups[0]
        setattr(trainer, name, torch.optim.Adam(net.parameters(), lr=settings["lr"], betas=settings["betas"]))
    return {}


def no_projection(trainer):
    if getattr(trainer.D, "label_vectors", None) is None:
        return None
    trainer.D.label_vectors = None  # its label vectors then get no gradient
    return {}


def contiguous(trainer):
    if not any(isinstance(layer, torch.nn.Conv2d) for layer in trainer.D.modules()):
        return None
    trainer.G.to(memory_format=torch.contiguous_format)
    trainer.D.to(memory_format=torch.contiguous_format)
    return {}


def live_figure(trainer):
    labels = torch.arange(64) % 10 if hasattr(trainer.G, "num_classes") else None
    return {"live": gan_utils.LiveView(gan_utils.make_noise(64, trainer.G.latent_dim, seed=0), labels)}


# Each variant changes a trainer built as the recipe and returns the Contender's options, or None where it does
# not apply to that recipe.
VARIANTS = {
    "as shipped": lambda trainer: {},
    "float32 (no bfloat16)": float32,
    "plain Adam (not fused)": plain_adam,
    "D not frozen in G's update": lambda trainer: {"during": unfrozen},
    "nn.Dropout (bernoulli_ masks)": partial(replace_dropout, torch.nn.Dropout),
    "Dropout masks from torch.rand": partial(replace_dropout, RandDropout),
    "D without the projection": no_projection,
    "contiguous layout (no channels_last)": contiguous,
    "1 thread": lambda trainer: {"during": partial(threads, 1)},
    "live figure (as in the lessons)": live_figure,
}


# Where a DCGAN step's time goes: PyTorch's operators by the first of these words in their names
GROUPS = {
    "convolutions (forward and backward)": ("convolution", "conv"),
    "BatchNorm": ("batch_norm",),
    "Adam (fused)": ("adam",),
    "weight average (EMA)": ("foreach", "lerp"),
    "activations and their gradients": ("relu", "tanh", "threshold", "leaky", "sigmoid"),
    "loss": ("binary_cross_entropy", "log_sigmoid", "loss"),
    "copies, layouts and casts": ("copy", "to_copy", "clone", "contiguous", "_to", "cat"),
}


def time_shares(contender, steps=5):
    """The share of a step's operator time in each of ``GROUPS`` (the rest: "other")."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        contender.turn(steps=steps)
    shares = dict.fromkeys([*GROUPS, "other"], 0.0)
    for event in profiler.key_averages():
        name = event.key.lower()
        group = next((g for g, words in GROUPS.items() if any(word in name for word in words)), "other")
        shares[group] += event.self_cpu_time_total
    total = sum(shares.values())
    return {group: value / total for group, value in shares.items()}


def flops(args):
    """The DCGAN step's GFLOP/s against the matrix-multiply peak, float32 and bfloat16, and where its time goes."""
    # bfloat16 only where the CPU has it: emulated, a 4096x4096 product takes minutes (0.9 GFLOP/s on AVX2 alone)
    native = training.has_fast_bfloat16(torch.device("cpu"))
    peaks = {dtype: harness.matmul_peak(dtype) for dtype in (torch.float32, torch.bfloat16)[: 1 + native]}
    contenders = []
    for width in args.widths:
        for bfloat16 in (False, True)[: 1 + native]:
            trainer = harness.tweak(harness.recipe("03-cifar10", width=width), bfloat16=bfloat16)
            contenders.append(
                harness.Contender(f"width {width}, {trainer.precision}", trainer, *harness.random_data(trainer))
            )
    work = [harness.flops_per_image(c) * c.batch_size for c in contenders]  # FLOPs of one step
    harness.turns(contenders, args.seconds, args.rounds)
    rows, shares = [], {}
    for c, step_flops in zip(contenders, work):
        rate = c.median_rate() / c.batch_size
        peak = peaks[torch.bfloat16 if c.trainer.bfloat16 else torch.float32]
        achieved = step_flops * rate / 1e9
        rows.append(
            [
                c.name,
                f"{step_flops / 1e9:.2f}",
                f"{rate:.1f}",
                f"{achieved:.0f}",
                f"{peak:.0f}",
                f"{achieved / peak:.0%}",
            ]
        )
        shares[c.name] = time_shares(c)
    header = [
        f"DCGAN 32x32, batch {contenders[0].batch_size}",
        "GFLOP a step",
        "steps/s",
        "GFLOP/s",
        "matmul peak GFLOP/s",
    ]
    header.append("share of peak")
    breakdown = harness.table(
        ["where a step's time goes", *shares],
        [[group, *(f"{s[group]:.0%}" for s in shares.values())] for group in [*GROUPS, "other"]],
    )
    text = (
        f"Median of {args.rounds} interleaved turns of {args.seconds:g} s after a warm-up turn, "
        f"{torch.get_num_threads()} torch threads, random data. The peak: the fastest of five 4096x4096 matrix "
        f"products in the same precision (torch.mm){'' if native else '; float32 only: no native bfloat16'}. "
        f"FLOPs by torch.utils.flop_counter (matrix products and "
        f"convolutions only). The time shares: PyTorch's profiler over 5 steps, each operator's own CPU time.\n\n"
        + harness.table(header, rows)
        + "\n\n"
        + breakdown
    )
    harness.report(f"dcgan_flops_{torch.get_num_threads()}_threads", text, args)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=list(harness.RECIPES), default=["02", "03"])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--seconds", type=float, default=3, help="length of one turn")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each variant, after a warm-up turn")
    parser.add_argument("--flops", action="store_true", help="notebook 03's step against the arithmetic peak")
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 64], help="with --flops (default 32 64)")
    harness.add_docs_arguments(parser)
    args = harness.parse(parser, argv, __spec__.name)
    if args.flops:
        return flops(args)
    names = ["as shipped", *(name for name in args.variants if name != "as shipped")]  # the base comes first
    header, rows = ["variant"], {name: [name] for name in names}
    for model in args.models:
        contenders = []
        for name in names:
            trainer = harness.recipe(model)
            options = VARIANTS[name](trainer)
            if options is not None:
                contenders.append(harness.Contender(name, trainer, *harness.random_data(trainer), **options))
        harness.turns(contenders, args.seconds, args.rounds)
        base = contenders[0].median_rate()
        rates = {c.name: c.median_rate() for c in contenders}
        for name in names:
            rate = rates.get(name)
            shown = f"{rate / contenders[0].batch_size:.2f} ({rate / base:.2f}x)" if rate is not None else "-"
            rows[name].append(shown)
        header.append(f"{harness.RECIPES[model][0]}: steps/s (x shipped)")
        print(f"{model}: done", flush=True)
    text = (
        f"Median of {args.rounds} interleaved turns of {args.seconds:g} s per variant, after a warm-up turn; random "
        f"data; bfloat16 is on in 'as shipped' only where the CPU has bfloat16 instructions (here: "
        f"{training.has_fast_bfloat16(torch.device('cpu'))}).\n\n" + harness.table(header, list(rows.values()))
    )
    harness.report("variants", text, args)


if __name__ == "__main__":
    main()
