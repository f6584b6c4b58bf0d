"""float32 against bfloat16 on this machine: training steps per second of each notebook's recipe.

Tells what ``bfloat16="auto"`` picks here and why (``gan_utils.training.choose_bfloat16``), the CPU's flags
that decide it, and, for each notebook's recipe (01 and 02 on 28x28 digits at batch 256, 03 on 32x32 colour
images at batch 64), the steps per second in each precision with PyTorch's default threads and with one
thread. The two precisions take turns of ``--seconds`` each, ``--rounds`` times, and the table gives the
median of each: the ratio is measured in one run, so a busy machine slows both alike. Random data: the
arithmetic does not depend on the pixels. Together with the default minutes of each notebook, the rows also
give the steps a lesson makes in its budget (docs/benchmarks.md, "Reference machine").

    .venv/bin/python bench/precision.py [--seconds 3] [--rounds 3]
"""

import argparse
import re
import statistics
import time
from pathlib import Path

import common
import torch

from gan_utils import recipes
from gan_utils.training import choose_bfloat16

LESSONS = {  # name: (recipe, image shape, conditional), as each notebook trains
    "01 MLP GAN": (recipes.vanilla_gan, (1, 28, 28), False),
    "02 cGAN": (recipes.conditional_gan, (1, 28, 28), True),
    "03 DCGAN 32x32 colour": (recipes.dcgan, (3, 32, 32), False),
}
FLAGS = ("avx512f", "avx512_bf16", "amx_bf16")


def block_name(flags):
    """One results block per kind of machine: its CPU's model and whether it has native bfloat16."""
    model = common.machine().split("CPU ", 1)[1].split(", torch")[0]
    native = "bf16" if "avx512_bf16 yes" in flags or "amx_bf16 yes" in flags else "no-bf16"
    return "precision_" + re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") + "_" + native


def cpu_flags():
    """Which of FLAGS this CPU has, as Linux reports them (``lscpu`` shows the same)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return ", ".join(f"{flag} {'yes' if flag in flags else 'no'}" for flag in FLAGS)


def steps_per_second(recipe, shape, conditional, threads, seconds, rounds):
    """Median steps per second of the recipe in float32 and in bfloat16, taking turns."""
    torch.set_num_threads(threads)
    images = torch.rand(4096, *shape) * 2 - 1
    labels = torch.randint(0, 10, (4096,)) if conditional else None
    trainers = {}
    for precision in ("float32", "bfloat16"):
        trainer = trainers[precision] = recipe(seed=0)
        trainer.bfloat16 = precision == "bfloat16"
        trainer.train(images, labels, steps=3)  # warm-up: memory and kernels set up
    rates = {precision: [] for precision in trainers}
    for _ in range(rounds):
        for precision, trainer in trainers.items():
            step, started = trainer.step, time.perf_counter()
            while time.perf_counter() - started < seconds:
                trainer.train_step(images, labels, trainer.batch_size)
            rates[precision].append((trainer.step - step) / (time.perf_counter() - started))
    return {precision: statistics.median(values) for precision, values in rates.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    common.add_docs_arguments(parser)
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    chosen, reason = choose_bfloat16(torch.device("cpu"))
    rows = []
    for name, (recipe, shape, conditional) in LESSONS.items():
        for threads in sorted({default_threads, 1}, reverse=True):
            rate = steps_per_second(recipe, shape, conditional, threads, args.seconds, args.rounds)
            ratio = rate["bfloat16"] / rate["float32"]
            rows.append([name, threads, f"{rate['float32']:.1f}", f"{rate['bfloat16']:.1f}", f"{ratio:.2f}x"])
            print(" | ".join(map(str, rows[-1])), flush=True)
    torch.set_num_threads(default_threads)
    text = (
        f'CPU flags: {cpu_flags()}. `bfloat16="auto"` picks '
        f"**{'bfloat16' if chosen else 'float32'}** here: {reason}.\n\n"
        + common.table(["recipe", "threads", "float32 steps/s", "bfloat16 steps/s", "bfloat16 / float32"], rows)
    )
    common.report(block_name(cpu_flags()), text, args)


if __name__ == "__main__":
    main()
