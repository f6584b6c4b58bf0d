from types import SimpleNamespace

import pytest

from gan_utils import forecast
from gan_utils.forecast import Forecast, steps_to, value_at

LEGIBLE = {"metric": "legible", "higher_is_better": True, "curve": [[0, 0.1], [1000, 0.7], [5000, 0.95], [9000, 0.98]]}
DISTANCE = {"metric": "Frechet distance", "higher_is_better": False, "curve": [[0, 150.0], [2000, 20.0], [10_000, 2.0]]}


@pytest.fixture
def runs(monkeypatch):
    """Reference runs made up for the tests: notebook 02's in float32 only, notebook 01's in both."""
    made_up = {"float32": {"02": LEGIBLE, "01": DISTANCE}, "bfloat16": {"01": DISTANCE}}
    monkeypatch.setattr(forecast, "reference_runs", lambda precision: made_up[precision])


def test_reading_a_curve():
    assert value_at(LEGIBLE, 3000) == pytest.approx(0.825)  # half way from 0.7 to 0.95
    assert value_at(LEGIBLE, 50_000) == 0.98  # past the end: the last value
    assert steps_to(LEGIBLE, 0.95) == 5000 and steps_to(LEGIBLE, 0.99) is None
    assert steps_to(DISTANCE, 2.0) == 10_000 and steps_to(DISTANCE, 25.0) == 2000  # lower is better


def calls(view, clock, points, monkeypatch):
    """Call ``view`` at each ``(seconds, step)`` of ``points``, on a clock that we move by hand."""
    monkeypatch.setattr(forecast.time, "perf_counter", lambda: clock[0])
    for seconds, step in points:
        clock[0] = seconds
        view(SimpleNamespace(step=step, precision="float32"))


def test_forecast_from_the_speed_after_the_first_seconds(runs, monkeypatch, capsys):
    view = Forecast("02", minutes=2)
    # slow first steps (warm-up), then 50 steps a second from 3 s on: 320 + 50 * 111 = 5,870 steps in 120 s
    calls(view, [0.0], [(0, 0), (3, 20), (6, 170)], monkeypatch)
    assert view.text is None  # 6 seconds of measuring are not up yet
    calls(view, [0.0], [(9.0, 320)], monkeypatch)
    assert "about 50 steps a second here (float32), so about 5,900 steps in 2 minutes" in view.text
    assert "was 95.7% legible at that step" in view.text  # 0.95 + 0.03 * 870 / 4000
    assert "The lesson's goal, 97% legible, took it 9,000 steps: set GAN_MINUTES=3 for that here" in view.text
    calls(view, [0.0], [(20.0, 900)], monkeypatch)  # said once only
    assert capsys.readouterr().out.count("Forecast:") == 1
    # 9,000 steps at 47 a second are 3.19 minutes: rounded up to the next half minute
    assert "set GAN_MINUTES=3.5 for that here" in forecast.forecast("02", "float32", 47, 5000, minutes=2)


def test_forecast_when_the_budget_reaches_the_goal(runs, monkeypatch):
    view = Forecast("01", minutes=4)
    calls(view, [0.0], [(0, 0), (3, 300), (9, 900)], monkeypatch)  # 100 steps a second: 23,700 steps
    assert "had a Frechet distance of 2.00 (lower is better)" in view.text and "within your budget" in view.text


def test_forecast_of_a_run_that_stops_at_its_last_step_first(runs, monkeypatch):
    view = Forecast("01", minutes=4, steps=6000)  # 100 steps a second would make 23,700 steps in 4 minutes
    calls(view, [0.0], [(0, 0), (3, 300), (9, 900)], monkeypatch)
    assert "so the run stops at step 6,000, the recipe's last, before its 4 minutes end" in view.text
    assert "had a Frechet distance of 11.0 (lower is better) at that step" in view.text  # 20 - 18 * 4000 / 8000
    slow = Forecast("01", minutes=4, steps=6000)
    calls(slow, [0.0], [(0, 0), (3, 30), (9, 90)], monkeypatch)  # 10 steps a second: 2,400 steps, not the last
    assert "so about 2,400 steps in 4 minutes" in slow.text


def test_forecast_falls_back_to_the_other_precision(runs):
    text = forecast.forecast("02", "bfloat16", rate=100, steps=12_000, minutes=2)
    assert "The reference run is in float32: read it as a rough guide." in text
    assert "No reference run" in forecast.forecast("03", "float32", rate=10, steps=3000, minutes=5)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
@pytest.mark.parametrize("lesson", ["01", "02", "03"])
def test_the_shipped_reference_runs(lesson, precision):
    """Every lesson has a curve in both precisions, from step 0, in order, past the default budget's steps."""
    run = forecast.reference_runs(precision)[lesson]
    steps = [step for step, _ in run["curve"]]
    assert steps[0] == 0 and steps == sorted(set(steps)) and len(steps) >= 10
    assert forecast.GOALS[lesson] is not None and run["steps_per_second"] > 0
