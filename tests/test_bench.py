"""The benchmark scripts start, make one small measurement each and write their results file.

They are not benchmarks here: nothing is timed or compared, only that each script runs end to end
(the real runs take minutes and are recorded in docs/benchmarks.md).
"""

import contextlib
import copy
import importlib.util
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
import torch
from test_cifar_quality import fake_real_data  # noqa: F401  (a fixture: random "real CIFAR-10")

import gan_utils
from gan_utils.training import GANTrainer, frozen

REPO = Path(__file__).resolve().parents[1]

SMOKE_RUNS = {
    "time_to_legible": ["--budget", "1", "--every", "1", "--seeds", "0", "1"],
    "throughput": ["--seconds", "0.2", "--rounds", "1", "--models", "02 cGAN", "--matmul", "256"],
    "notebooks": ["--notebooks", "01", "--renders", "3"],
}


@pytest.mark.parametrize("script", SMOKE_RUNS)
def test_bench_script_runs_one_measurement(script, tmp_path, data_dir_env):
    docs = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [sys.executable, f"bench/{script}.py", *SMOKE_RUNS[script], "--docs", str(docs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "|---" in result.stdout  # it printed its table
    written = docs.read_text()
    assert f"<!-- begin {script} -->" in written and f"<!-- end {script} -->" in written
    assert "Machine: nproc" in written and f"bench/{script}.py" in written


def load_common():
    spec = importlib.util.spec_from_file_location("bench_common", REPO / "bench" / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_replace_only_their_own_section(tmp_path):
    common = load_common()
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nWhat we tried: notes written by hand.\n")
    common.write_results("a", "first A", docs)
    common.write_results("b", "only B", docs)
    common.write_results("a", "second A", docs)
    text = docs.read_text()
    assert "notes written by hand" in text and "only B" in text and "second A" in text
    assert "first A" not in text and text.count("<!-- begin a -->") == 1


def test_frozen_network_gets_no_gradient_and_is_unfrozen_after_an_error():
    net = torch.nn.Linear(3, 1)
    x = torch.randn(4, 3, requires_grad=True)
    with frozen(net):
        net(x).sum().backward()
    assert net.weight.grad is None and x.grad is not None  # gradients flow through, not into, the net
    with pytest.raises(RuntimeError), frozen(net):
        raise RuntimeError("a failed update")
    assert all(p.requires_grad for p in net.parameters())


@pytest.mark.parametrize("freeze", [True, False])
def test_generator_update_uses_the_updated_discriminator_in_bfloat16(small_images, monkeypatch, freeze):
    """bfloat16 autocast keeps bfloat16 copies of the weights; G's update must not see D's old ones."""
    from gan_utils import training

    if not freeze:  # without frozen(), autocast would reuse its copies of D's weights from before D's update
        monkeypatch.setattr(training, "frozen", lambda net: contextlib.nullcontext())
    torch.manual_seed(0)
    G, D = gan_utils.MLPGenerator(latent_dim=8, hidden_dim=32), gan_utils.MLPDiscriminator(32, dropout=0.0)
    trainer = GANTrainer(G, D, device="cpu", bfloat16=True)
    G_before, rng = copy.deepcopy(trainer.G), trainer.rng.get_state()
    trainer.train_step(small_images, None, 16)
    # Replay G's update: the same noise, G as it was, D as it is now (G's update does not change D).
    replay = torch.Generator().set_state(rng)
    torch.randint(len(small_images), (16,), generator=replay)  # the real batch's indices
    z = torch.randn(16, 8, generator=replay)
    with torch.autocast("cpu", torch.bfloat16):
        loss = training.bce(trainer.D(G_before(z)), torch.ones(16))
    expected = torch.autograd.grad(loss, list(G_before.parameters()))
    for param, grad in zip(trainer.G.parameters(), expected, strict=True):
        torch.testing.assert_close(param.grad, grad)


def test_convolution_weights_are_channels_last_on_cpu():
    trainer = GANTrainer(gan_utils.DCGANGenerator(16, 1, 16, 8), gan_utils.DCGANDiscriminator(1, 16, 8), device="cpu")
    conv = trainer.D.net[2].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()


def test_time_to_legible_ratios_and_their_median(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    spec = importlib.util.spec_from_file_location("time_to_legible", REPO / "bench" / "time_to_legible.py")
    ttl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ttl)

    def contender(seconds, **reached):
        c = ttl.Contender("x", None, None, None, 1)
        c.seconds, c.reached = seconds, {float(k[1:]) / 100: v for k, v in reached.items()}
        return c

    ours = contender(60, t95=50)
    assert ttl.ratio(ours, contender(300, t95=250), 0.95) == (5.0, False)
    assert ttl.ratio(ours, contender(600), 0.95) == (12.0, True)  # the baseline never got there: at least 12x
    assert ttl.ratio(contender(600), ours, 0.95) == (None, False)
    assert ttl.median_ratio([(3.0, False), (5.0, False), (4.0, False)]) == "4.0x"
    assert ttl.median_ratio([(3.0, False), (12.0, True), (4.0, False)]) == "> 4.0x"
    assert ttl.median_ratio([(3.0, False), (None, False)]) == "-"


def test_cifar_time_to_quality_runs_two_marks(tmp_path, monkeypatch, fake_real_data):  # noqa: F811
    """Both contenders on the 20 sample images, measured twice against fake real statistics."""
    samples = gan_utils.data_dir() / "cifar10-samples"
    if not samples.is_dir():
        pytest.skip(f"no CIFAR-10 sample images in {samples}")
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    spec = importlib.util.spec_from_file_location("cifar_time_to_quality", REPO / "bench" / "cifar_time_to_quality.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    docs = tmp_path / "benchmarks.md"
    argv = ["--dataset", str(samples), "--batch-size", "8", "--marks", "0.005", "0.01", "--n", "50", "--turn", "0.2"]
    monkeypatch.setattr(sys, "argv", ["bench/cifar_time_to_quality.py", *argv, "--docs", str(docs)])
    script.main()
    written = docs.read_text()
    assert "<!-- begin cifar_time_to_quality -->" in written and "bench/cifar_time_to_quality.py" in written
    assert "| 0.005 " in written and "| 0.01 " in written and "images/s" in written
    assert "reach" in written and "](images/cifar_time_to_quality.png)" in written
    assert (tmp_path / "images" / "cifar_time_to_quality.png").stat().st_size > 0


def test_time_to_quality_counts_steps_to_the_threshold_at_each_trainers_pace(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    spec = importlib.util.spec_from_file_location("time_to_quality", REPO / "bench" / "time_to_quality.py")
    ttq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ttq)

    def run(points, batch_size):  # points: (seconds, distance, legibility, step)
        return Namespace(curve=points, trainer=Namespace(batch_size=batch_size))

    # before: 1 s a step; its last two checks average 3.0, the threshold, which it reaches (as the mean of two
    # checks) at step 5: 5 s. after: 2 s a step, reaches it at step 3: 6 s. 5 s / 6 s = 0.8x
    before = run([(1, 9.0, None, 1), (2, 6.0, None, 2), (3, 4.0, None, 3), (4, 3.0, None, 4), (5, 3.0, None, 5)], 1)
    after = run([(2, 8.0, None, 1), (4, 3.5, None, 2), (6, 2.0, None, 3), (8, 1.0, None, 4)], 1)
    assert ttq.steps_to(before.curve, 3.0, 1) == 5  # (3.0 + 3.0) / 2 at step 5; (4 + 3) / 2 = 3.5 at step 4
    assert ttq.steps_to(after.curve, 3.0, 1) == 3  # (3.5 + 2.0) / 2 = 2.75
    [row] = ttq.summary("01", "float32", [before, after])
    assert row[3].startswith("5 (5 steps)") and row[4].startswith("6 (3 steps)") and row[5] == "0.8x"
    # a legibility threshold is reached from below, and may not be reached at all
    slow = run([(1, 0, 0.5, 1), (2, 0, 0.6, 2)], 1)
    fast = run([(1, 0, 0.7, 1), (2, 0, 0.9, 2)], 1)
    rows = ttq.summary("02", "bfloat16", [slow, fast])
    assert rows[1][2] == "legibility >= 0.550" and rows[1][4].startswith("2 (2 steps)")
    assert ttq.steps_to(slow.curve, 0.95, 2) is None


def load_bench_script(name, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recipe_variants_extra_average_follows_the_trainers_own(small_images, monkeypatch):
    """An extra average with the recipe's own decay is, step for step, the trainer's average."""
    variants = load_bench_script("recipe_variants", monkeypatch)
    trainer = gan_utils.GANTrainer(
        gan_utils.MLPGenerator(latent_dim=8, hidden_dim=16),
        gan_utils.MLPDiscriminator(hidden_dim=16),
        ema=0.9,
    )
    averages = variants.keep_extra_averages(trainer, [0.9, 0.5])
    trainer.train(small_images, batch_size=4, steps=30)
    ours, other = (averages[d].module.state_dict() for d in (0.9, 0.5))
    own = trainer.generator.state_dict()
    assert all(torch.equal(own[k], ours[k]) for k in own)
    assert not all(torch.equal(own[k], other[k]) for k in own)  # another decay: another average


def test_recipe_variants_no_projection_is_the_recipe_without_it(monkeypatch):
    variants = load_bench_script("recipe_variants", monkeypatch)
    recipe, before = variants.build("02", 0, "recipe"), variants.build("02", 0, "no_projection")
    assert recipe.D.label_vectors is not None and before.D.label_vectors is None
    assert torch.equal(recipe.D.net[0].weight, before.D.net[0].weight)  # the same starting weights otherwise


def test_recipe_variants_writes_one_row_per_run_and_a_mean_per_variant(tmp_path, monkeypatch, data_dir_env):
    variants = load_bench_script("recipe_variants", monkeypatch)
    docs = tmp_path / "benchmarks.md"
    argv = ["--model", "02", "--steps", "4", "--check", "2", "--n", "100", "--variants", "recipe", "lr_D_2e-3"]
    argv += ["--seeds", "0", "1", "--decays", "0.999", "--docs", str(docs), "--dump", str(tmp_path / "runs.json")]
    variants.main(argv)
    written = docs.read_text()
    assert "<!-- begin recipe_variants_02 -->" in written and "quality at step 4" in written
    assert "| recipe " in written and "| lr_D_2e-3 " in written and "0.999: distance / legibility" in written
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert [(run["name"], run["seed"], run["curve"][-1]["step"]) for run in runs] == [
        ("recipe", 0, 4),
        ("recipe", 1, 4),
        ("lr_D_2e-3", 0, 4),
        ("lr_D_2e-3", 1, 4),
    ]
    means = [line for line in written.splitlines() if "| mean " in line]
    assert len(means) == 2 and means[0].startswith("| recipe ")  # one mean row per variant over its two seeds
    again = tmp_path / "again.md"  # --summarise: the same table from the dump, without training
    variants.main(
        [
            "--model",
            "02",
            "--steps",
            "4",
            "--n",
            "100",
            "--summarise",
            str(tmp_path / "runs.json"),
            "--docs",
            str(again),
        ]
    )
    table = lambda text: text[text.index("| variant") : text.index("<!-- end")]  # noqa: E731
    assert table(again.read_text()) == table(written)
