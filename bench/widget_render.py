"""How long does the digit picker take to redraw an 11-digit phone number?

Times DigitPicker.render() (tokenize, generate 11 digits, encode the PNG, update the widget)
with the pretrained generator, after a warm-up, and prints the median and spread.

    .venv/bin/python bench/widget_render.py [--repeats 200]
"""

import argparse
import statistics
import time

import torch

import gan_utils
from gan_utils.pretrain import PRETRAINED_CGAN
from gan_utils.widget import DigitPicker


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    picker = DigitPicker(gan_utils.load_generator(PRETRAINED_CGAN), text="010-5701-3986")
    for _ in range(10):
        picker.render()  # warm-up
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        picker.render()
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.repeats} re-renders of 010-5701-3986")
    print(
        f"median {statistics.median(times):.2f} ms, "
        f"10th-90th percentile {times[len(times) // 10]:.2f}-{times[9 * len(times) // 10]:.2f} ms"
    )


if __name__ == "__main__":
    main()
