"""bench/harness.py, what every benchmark shares: the recipes, tweaks, the seed-style loop, races and the results file.

Nothing is timed here (the benchmarks' runs take minutes and are recorded in docs/benchmarks.md)."""

import argparse
import itertools

import pytest
import torch

import gan_utils
from bench import harness


def weights(trainer):
    return [p.detach().clone() for p in [*trainer.G.parameters(), *trainer.D.parameters()]]


def test_tweak_changes_what_it_is_asked_and_nothing_else():
    trainer = harness.tweak(harness.recipe("02"), lr_D=2e-3, dropout_G=0.0, betas=(0.5, 0.99), batch_size=512)
    assert trainer.opt_D.param_groups[0]["lr"] == 2e-3 and trainer.opt_G.param_groups[0]["lr"] == 1e-3
    assert trainer.opt_G.param_groups[0]["betas"] == (0.5, 0.99) == trainer.opt_D.param_groups[0]["betas"]
    G_rates, D_rates = (
        {m.p for m in net.modules() if isinstance(m, gan_utils.models.Dropout)} for net in (trainer.G, trainer.D)
    )
    assert G_rates == {0.0} and D_rates == {0.3}  # G's dropout off, D's as the recipe has it
    assert trainer.batch_size == 512 and trainer.label_smoothing == 0.1
    with pytest.raises(AttributeError, match="no setting 'batchsize'"):
        harness.tweak(trainer, batchsize=64)


def test_recipes_train_on_their_own_data_shape():
    for model in ("01", "02", "03", "03-64"):
        trainer = harness.recipe(model)
        images, labels = harness.random_data(trainer, n=8)
        assert tuple(images.shape[1:]) == trainer.G.image_shape
        assert (labels is not None) == (model == "02")


def test_a_contender_trains_as_if_it_trained_alone(small_images):
    """Two set-ups taking turns draw their dropout masks from their own random numbers: each run is the one it
    makes alone, whatever else draws random numbers between the turns."""
    alone = harness.tweak(harness.recipe("01", seed=3, hidden_dim=32), batch_size=16, bfloat16=False)
    alone.train(small_images, steps=6)
    race = [
        harness.Contender(
            name,
            harness.tweak(harness.recipe("01", seed=3, hidden_dim=32), batch_size=16, bfloat16=False),
            small_images,
        )
        for name in "ab"
    ]
    harness.race(race, lambda c: (c.turn(steps=2), torch.rand(10)), lambda c: c.trainer.step >= 6)
    for contender in race:
        assert contender.trainer.step == 6 and len(contender.rates) == 3 and contender.seconds > 0
        for ours, theirs in zip(weights(contender.trainer), weights(alone), strict=True):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_race_gives_turns_in_order_until_each_is_done():
    log = []
    contenders = [argparse.Namespace(name="a", left=3), argparse.Namespace(name="b", left=1)]

    def turn(c):
        log.append(c.name)
        c.left -= 1

    harness.race(contenders, turn, lambda c: c.left == 0)
    assert log == ["a", "b", "a", "a"]


def test_measure_adds_a_point_with_each_score(small_images):
    contender = harness.Contender("x", harness.tweak(harness.recipe("01"), batch_size=8), small_images)
    contender.turn(steps=2)
    point = contender.measure(one=lambda G: 1.0, two=lambda G: {"a": G.latent_dim, "b": 2.0})
    assert point == {"seconds": contender.seconds, "step": 2, "one": 1.0, "a": 64, "b": 2.0}
    assert contender.curve == [point] and contender.images_per_second() == 16 / contender.seconds


def test_first_reaching_averages_a_window_of_points():
    curve = [{"step": s, "d": d} for s, d in [(1, 9.0), (2, 2.0), (3, 4.0), (4, 2.0), (5, 2.5)]]
    assert harness.first_reaching(curve, "d", 3.0, higher_is_better=False)["step"] == 2
    assert harness.first_reaching(curve, "d", 3.0, higher_is_better=False, window=2)["step"] == 3  # (2 + 4) / 2
    assert harness.first_reaching(curve, "d", 9.0, higher_is_better=True)["step"] == 1
    assert harness.first_reaching(curve, "d", 9.5, higher_is_better=True) is None


def test_seed_style_loop_trains_the_recipes_networks_with_its_settings(mnist):
    trainer = harness.recipe("02")
    before = weights(trainer)
    batches = itertools.repeat((mnist[0][:16], mnist[1][:16]))
    loop = harness.SeedStyleLoop(trainer, batches)
    loop.train(steps=2)
    assert loop.step == 2 and len(loop.losses) == 2 and loop.generator is trainer.G
    assert loop.opt_G.param_groups[0]["lr"] == 1e-3 and loop.real_label == 0.9
    assert all(not torch.equal(a, b) for a, b in zip(before, weights(trainer)))  # both networks trained


@pytest.mark.parametrize(("model", "shape"), [("02", (1, 28, 28)), ("03", (1, 32, 32))])
def test_seed_style_batches_are_the_notebooks_digits_in_the_same_range(data_dir, model, shape):
    images, labels = next(harness.seed_style_batches(model, 8, num_workers=0))
    assert images.shape == (8, *shape) and labels.shape == (8,)
    assert images.min() == -1 and images.max() <= 1  # the background is -1, as in gan_utils' tensors


def test_seed_style_batches_of_a_folder_are_colour_32x32(cifar_samples):
    images, _ = next(harness.seed_style_batches("03-cifar10", 4, folder=cifar_samples, num_workers=0))
    assert images.shape == (4, 3, 32, 32) and -1 <= images.min() < images.max() <= 1


def test_parse_keeps_the_command_as_typed(monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", "../shared/data")
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+")
    args = harness.parse(parser, ["--models", "02 cGAN", "03"], "bench.x")
    assert args.command == "GAN_DATA_DIR=../shared/data .venv/bin/python -m bench.x --models '02 cGAN' 03"


def test_results_replace_only_their_own_section(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nWhat we tried: notes written by hand.\n")
    harness.write_results("a", "first A", "python -m bench.a", docs)
    harness.write_results("b", "only B", "python -m bench.b", docs)
    harness.write_results("a", "second A", "python -m bench.a --again", docs)
    text = docs.read_text()
    assert "notes written by hand" in text and "only B" in text and "second A" in text
    assert "first A" not in text and text.count("<!-- begin a -->") == 1
    assert "with `python -m bench.a --again`" in text and "Machine: nproc" in text


def test_table_pads_each_column_to_its_widest_cell():
    assert harness.table(["a", "bb"], [["ccc", 1]]).splitlines() == ["| a   | bb |", "|-----|----|", "| ccc | 1  |"]


def test_the_timed_race_table_gives_each_variants_mean_spread_and_steps_at_each_mark():
    from bench import recipe_variants

    def run(name, seed, distances):
        curve = [{"seconds": 60.0 * m, "step": 100 * m, "distance": d, "confident": 0.5, "rarest": 0.01}
                 | {"commonest": 0.4, "flagged": int(d > 9)} for m, d in zip((2, 5), distances)]  # fmt: skip
        return {"name": name, "seed": seed, "curve": curve}

    runs = [run("w64", 0, (30, 20)), run("w32", 0, (12, 8)), run("w32", 1, (14, 10))]
    rows = [
        [cell.strip() for cell in row.split("|")[1:-1]]
        for row in recipe_variants.timed_table(runs, [2, 5]).splitlines()[2:]
    ]
    assert rows[0][:6] == ["w64", "1", "200", "30.00", "500", "20.00"]
    assert rows[1][:6] == ["w32", "2", "200", "13.00 ± 1.41 (12.00-14.00)", "500", "9.00 ± 1.41 (8.00-10.00)"]
    assert rows[1][-2] == "1"  # one of the two w32 runs ended with a class flagged


def test_variants_build_the_dcgan_they_name():
    from bench import recipe_variants

    hinge = recipe_variants.build("03", "w32_hinge", seed=0)
    assert hinge.G.config["width"] == 32 and hinge.update_D is recipe_variants.hinge_update_D
    narrow_D = recipe_variants.build("03", "w32_D_w16", seed=0)
    assert (narrow_D.G.config["width"], narrow_D.D.config["width"], narrow_D.batch_size) == (32, 16, 64)
    paper = recipe_variants.build("03", "w64", seed=0)
    assert paper.G.config["width"] == 64 and paper.opt_G.param_groups[0]["betas"] == (0.5, 0.999)
    # the races' variants keep the recipe they raced against (lr 2e-4, batch 64) now that the recipe is theirs
    for name, lr, batch_size in (("w32", 2e-4, 64), ("w32_lr_4e-4_batch_32", 4e-4, 32), ("recipe", 4e-4, 32)):
        trainer = recipe_variants.build("03", name, seed=0)
        assert (trainer.opt_D.param_groups[0]["lr"], trainer.batch_size) == (lr, batch_size), name
    ttur = recipe_variants.build("03", "w32_ttur_D_4e-4", seed=0)
    assert (ttur.opt_G.param_groups[0]["lr"], ttur.opt_D.param_groups[0]["lr"]) == (2e-4, 4e-4)
    images = torch.rand(8, 1, 32, 32) * 2 - 1
    hinge.train(images, batch_size=4, steps=1)  # the hinge updates train
    assert hinge.step == 1
    small = recipe_variants.build("03", "kernel_3", seed=0)  # 3x3 kernels still double and halve the images
    kernels = {m.kernel_size for net in (small.G, small.D) for m in net.modules() if hasattr(m, "kernel_size")}
    assert kernels == {(3, 3), (4, 4)} and small.G(torch.randn(2, 100)).shape == (2, 1, 32, 32)
    spectral = recipe_variants.build("03", "sn_D", seed=0)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in spectral.D.modules())
    assert torch.nn.utils.parametrize.is_parametrized(spectral.D.net[0])
    for trainer in (small, spectral):
        trainer.train(images, batch_size=4, steps=1)
        assert trainer.step == 1
