"""What this machine will reach in the training budget, read off a reference run.

A GAN's samples depend on how many steps it trained, not on how fast: with the same seed and precision, step
10,000 is (nearly) the same generator on a slow laptop and on a fast server. So each lesson ships the curve
of one reference run, the quality its own yardstick measured every few hundred steps (``bench/reference_runs.py``
wrote them, in ``reference_runs/``), and ``Forecast`` needs only this machine's speed to say where a run of
``minutes`` will end: a few seconds into training it prints, once, something like

    Forecast: about 70 steps a second here (float32), so about 8,400 steps in 2 minutes. The reference run
    was 97.6% legible at that step. The lesson's goal, 97% legible, took it 7,000 steps: within your budget.
"""

import json
import time
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).parent / "reference_runs"

# Each lesson's goal, in its yardstick's units: 01, a Frechet distance under 2 (clean digits); 02, 97% legible;
# 03, a CIFAR-10 distance under 10 (blurry but nameable objects). The reference machine reaches each in its
# default budget (docs/benchmarks.md, "Reference machine").
GOALS = {"01": 2.0, "02": 0.97, "03": 10.0}


class Forecast:
    """Pass it to ``GANTrainer.train(live=...)`` with the ``minutes`` of the run; ``lesson`` is "01", "02" or
    "03" (the reference runs), or None for data that has none (then it forecasts the steps only); ``steps``: the
    step at which the run stops if its minutes have not ended by then.

    The first steps of a run are slower (PyTorch sets up its memory and kernels), so the speed is measured
    from the second call (about 3 seconds in) over the next ``seconds``; then it prints its forecast once.
    """

    def __init__(self, lesson, minutes, seconds=6.0, steps=None):
        self.lesson, self.minutes, self.seconds, self.last = lesson, minutes, seconds, steps or float("inf")
        self.start = self.mark = None  # (time, step) at the first call and at the second
        self.text = None  # the forecast, once made

    def __call__(self, trainer):
        now = time.perf_counter()
        if self.text is not None:
            return
        if self.start is None:  # the start of the run
            self.start = (now, trainer.step)
            return
        if self.mark is None:  # a few seconds in: the speed is measured from here
            self.mark = (now, trainer.step)
            return
        if now - self.mark[0] < self.seconds or trainer.step == self.mark[1]:
            return
        rate = (trainer.step - self.mark[1]) / (now - self.mark[0])
        seconds_left = max(0.0, 60 * self.minutes - (now - self.start[0]))
        steps = min(self.last, trainer.step + rate * seconds_left)
        self.text = forecast(self.lesson, trainer.precision, rate, steps, self.minutes, capped=steps == self.last)
        print(self.text)


def forecast(lesson, precision, rate, steps, minutes, capped=False):
    """The forecast in words: ``rate`` steps a second, ``steps`` in ``minutes`` (``capped``: the run stops there
    before its minutes end), read off the reference run."""
    run = reference_run(lesson, precision)
    text = f"Forecast: about {rate:,.0f} steps a second here ({precision}), " + (
        f"so the run stops at step {steps:,}, the recipe's last, before its {minutes:g} minutes end."
        if capped
        else f"so about {round_steps(steps):,} steps in {minutes:g} minutes."
    )
    if run is None:
        return text + " (No reference run to compare with here.)"
    if run["precision"] != precision:
        text += f" (The reference run is in {run['precision']}: read it as a rough guide.)"
    text += f" The reference run {said(run, value_at(run, steps))} at that step."
    goal = GOALS.get(lesson)
    if goal is None:
        return text
    needed = steps_to(run, goal)
    if needed is None:
        last = run["curve"][-1][0]
        return text + f" It never reached the lesson's goal ({said_goal(run, goal)}) in its {last:,} steps."
    text += f" The lesson's goal, {said_goal(run, goal)}, took it {needed:,} steps: "
    if needed <= steps:
        return text + "within your budget."
    more = -(-needed // (30 * rate)) / 2  # minutes, rounded up to the next half minute (ceil: -(-a // b))
    return text + f"set GAN_MINUTES={more:g} for that here, or use the pretrained generator."


@cache
def reference_runs(precision):
    """The reference runs in ``precision`` (``bench/reference_runs.py`` wrote them), by lesson."""
    path = REFERENCE_DIR / f"{precision}.json"
    return json.loads(path.read_text())["lessons"] if path.exists() else {}


def reference_run(lesson, precision):
    """The lesson's reference run in ``precision``, else in the other precision, else None."""
    for chosen in (precision, "float32" if precision == "bfloat16" else "bfloat16"):
        run = reference_runs(chosen).get(lesson)
        if run:
            return {**run, "precision": chosen}
    return None


def value_at(run, steps):
    """The reference run's quality at ``steps``, read off its curve (straight lines between its checks)."""
    curve = run["curve"]
    for (step0, value0), (step1, value1) in zip(curve, curve[1:]):
        if steps <= step1:
            return value0 + (value1 - value0) * max(0.0, steps - step0) / (step1 - step0)
    return curve[-1][1]  # past the run's end: its last value


def steps_to(run, goal):
    """The first step at which the reference run met ``goal``, or None."""
    better = (lambda value: value >= goal) if run["higher_is_better"] else (lambda value: value <= goal)
    for step, value in run["curve"]:
        if better(value):
            return step
    return None


def said(run, value):
    if run["higher_is_better"]:
        return f"was {value:.1%} {run['metric']}"
    return f"had a {run['metric']} of {value:.{2 if value < 10 else 1}f} (lower is better)"


def said_goal(run, goal):
    return f"{goal:.0%} {run['metric']}" if run["higher_is_better"] else f"a {run['metric']} of {goal:g}"


def round_steps(steps):
    """Round to 2 significant digits: a forecast is not more precise than that."""
    return int(float(f"{steps:.2g}")) if steps >= 100 else int(steps)
