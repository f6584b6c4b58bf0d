"""float32 against bfloat16 on this machine: training steps per second of each notebook's recipe.

Tells what ``bfloat16="auto"`` picks here and why (``gan_utils.training.choose_bfloat16``), the CPU's flags
that decide it, and, for each notebook's recipe (01 and 02 on 28x28 digits at batch 256, 03 on 32x32 colour
images at batch 64), the steps per second in each precision with PyTorch's default threads and with one
thread. The two precisions take turns of ``--seconds`` each, ``--rounds`` times after a warm-up turn, and the
table gives the median of each: the ratio is measured in one run, so a busy machine slows both alike. Random data: the
arithmetic does not depend on the pixels. Together with the default minutes of each notebook, the rows also
give the steps a lesson makes in its budget (docs/benchmarks.md, "Reference machine").

    .venv/bin/python -m bench.precision [--seconds 3] [--rounds 3]
"""

import argparse
import re

import torch

from bench import harness
from gan_utils.training import choose_bfloat16

LESSONS = {"01 MLP GAN": "01", "02 cGAN": "02", "03 DCGAN 32x32 colour": "03-cifar10"}  # as each notebook trains
FLAGS = ("avx512f", "avx512_bf16", "amx_bf16")


def block_name(flags):
    """One results block per kind of machine: its CPU's model and whether it has native bfloat16."""
    model = harness.machine().split("CPU ", 1)[1].split(", torch")[0]
    native = "bf16" if "avx512_bf16 yes" in flags or "amx_bf16 yes" in flags else "no-bf16"
    return "precision_" + re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") + "_" + native


def cpu_flags():
    """Which of FLAGS this CPU has, as Linux reports them (``lscpu`` shows the same)."""
    flags = harness.cpuinfo("flags")
    if flags is None:
        return "unknown (no /proc/cpuinfo)"
    flags = flags.split()
    return ", ".join(f"{flag} {'yes' if flag in flags else 'no'}" for flag in FLAGS)


def steps_per_second(model, threads, seconds, rounds):
    """Median steps per second of the recipe in float32 and in bfloat16, taking turns."""
    torch.set_num_threads(threads)
    contenders = []
    for precision in ("float32", "bfloat16"):
        trainer = harness.tweak(harness.recipe(model), bfloat16=precision == "bfloat16")
        contenders.append(harness.Contender(precision, trainer, *harness.random_data(trainer)))
    harness.turns(contenders, seconds, rounds)
    return {c.name: c.median_rate() / c.batch_size for c in contenders}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    harness.add_docs_arguments(parser)
    args = harness.parse(parser, argv, __spec__.name)
    default_threads = torch.get_num_threads()
    chosen, reason = choose_bfloat16(torch.device("cpu"))
    rows = []
    for name, model in LESSONS.items():
        for threads in sorted({default_threads, 1}, reverse=True):
            rate = steps_per_second(model, threads, args.seconds, args.rounds)
            ratio = rate["bfloat16"] / rate["float32"]
            rows.append([name, threads, f"{rate['float32']:.1f}", f"{rate['bfloat16']:.1f}", f"{ratio:.2f}x"])
            print(" | ".join(map(str, rows[-1])), flush=True)
    torch.set_num_threads(default_threads)
    text = (
        f'CPU flags: {cpu_flags()}. `bfloat16="auto"` picks '
        f"**{'bfloat16' if chosen else 'float32'}** here: {reason}.\n\n"
        + harness.table(["recipe", "threads", "float32 steps/s", "bfloat16 steps/s", "bfloat16 / float32"], rows)
    )
    harness.report(block_name(cpu_flags()), text, args)


if __name__ == "__main__":
    main()
