import os
import signal

import pytest
import torch
from helpers import make_trainer, same_weights

import gan_utils
from gan_utils import training
from gan_utils.recipes import conditional_gan
from gan_utils.training import GANTrainer, choose_bfloat16, has_fast_bfloat16

pytestmark = pytest.mark.usefixtures("float32")  # the same numbers on every CPU (conftest.py)


def test_training_records_one_score_per_step(small_images):
    trainer = make_trainer(label_smoothing=0.1)
    history = trainer.train(small_images, batch_size=32, steps=7)
    assert trainer.step == 7
    assert set(history) == {"d_loss", "g_loss", "D(x)", "D(G(z))"}
    assert all(len(values) == 7 for values in history.values())
    assert all(0 <= v <= 1 for v in history["D(x)"] + history["D(G(z))"])


def test_epochs_count_passes_over_the_data(small_images):
    trainer = make_trainer()
    trainer.train(small_images, batch_size=256, epochs=2)
    assert trainer.step == 2 * 1024 // 256


def test_a_time_budget_with_a_last_step_stops_at_whichever_comes_first(small_images, monkeypatch):
    bars, tqdm = [], training.tqdm
    monkeypatch.setattr(training, "tqdm", lambda **settings: bars.append(settings) or tqdm(**settings))
    trainer = make_trainer()
    trainer.train(small_images, batch_size=32, minutes=10, steps=4)  # notebook 03's cell on a CPU: at most 6,000
    assert trainer.step == 4
    assert bars[-1]["total"] == 600  # the bar counts the budget's seconds, the ones a student waits for


def test_training_needs_a_length(small_images):
    with pytest.raises(ValueError, match="steps=, epochs= or minutes="):
        make_trainer().train(small_images)


def test_callback_runs_at_start_every_n_steps_and_at_end(small_images):
    seen = []
    make_trainer().train(small_images, steps=25, every=10, callback=lambda t: seen.append(t.step))
    assert seen == [0, 10, 20, 25]


def test_discriminator_update_leaves_the_generator_alone(small_images):
    trainer = make_trainer()
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    fake = trainer.G(torch.randn(16, trainer.G.latent_dim))
    gan_utils.update_D(small_images[:16], fake, trainer.D, trainer.opt_D)
    assert all(torch.equal(before[k], v) for k, v in trainer.G.state_dict().items())
    assert all(p.grad is None for p in trainer.G.parameters())


def test_checkpoint_round_trip(small_images, tmp_path):
    path = tmp_path / "run.pt"
    trainer = make_trainer(checkpoint=path)
    trainer.train(small_images, batch_size=32, steps=3)
    G = gan_utils.load_generator(path)
    assert not G.training
    assert G.config == trainer.G.config
    assert same_weights(G, trainer.generator)  # the averaged generator, what the trainer samples from
    assert not same_weights(G, trainer.G)
    z = gan_utils.make_noise(4, G.latent_dim, seed=0)
    assert torch.equal(gan_utils.generate(G, z), gan_utils.generate(trainer.generator, z))
    state = gan_utils.load_checkpoint(path)
    assert state["step"] == 3 and len(state["history"]["d_loss"]) == 3


def test_loading_is_weights_only_and_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="Run the training cell first"):
        gan_utils.load_generator(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="damaged or is not a gan_utils checkpoint"):
        gan_utils.load_generator(tmp_path / "junk.pt")
    torch.save({"evil": os.system}, tmp_path / "code.pt")  # a pickle that would import a function
    with pytest.raises(ValueError, match="damaged or is not a gan_utils checkpoint"):
        gan_utils.load_generator(tmp_path / "code.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="holds no generator"):
        gan_utils.load_generator(tmp_path / "other.pt")


def test_resume_continues_exactly(small_images, tmp_path):
    k = 5
    straight = make_trainer(seed=7, label_smoothing=0.1)
    straight.train(small_images, batch_size=32, steps=k + 1)

    path = tmp_path / "resume.pt"
    make_trainer(seed=7, label_smoothing=0.1, checkpoint=path).train(small_images, batch_size=32, steps=k)
    torch.manual_seed(12345)  # whatever happens in between must not matter
    resumed = gan_utils.GANTrainer.from_checkpoint(path, device="cpu")
    assert resumed.step == k
    resumed.train(small_images, batch_size=32, steps=1)

    for key in straight.history:
        assert resumed.history[key] == straight.history[key], key  # step k+1 included, bit for bit
    assert same_weights(resumed.G, straight.G) and same_weights(resumed.D, straight.D)
    assert same_weights(resumed.generator, straight.generator)  # the average too


def test_ctrl_c_stops_after_the_step_and_keeps_a_resumable_state(small_images, tmp_path, capsys):
    def press_ctrl_c_at_step_20(trainer):
        if trainer.step == 20:
            os.kill(os.getpid(), signal.SIGINT)

    path = tmp_path / "ctrl_c.pt"
    trainer = make_trainer(checkpoint=path)
    handler_before = signal.getsignal(signal.SIGINT)  # Python's default, or "ignore" in a background job
    trainer.train(small_images, batch_size=32, steps=100, every=10, callback=press_ctrl_c_at_step_20)
    assert trainer.step == 20
    assert "Stopped by Ctrl-C after step 20" in capsys.readouterr().out
    assert gan_utils.load_checkpoint(path)["step"] == 20
    assert signal.getsignal(signal.SIGINT) == handler_before  # our handler is gone again

    trainer.train(small_images, batch_size=32, steps=10)  # calling train again resumes
    straight = make_trainer()
    straight.train(small_images, batch_size=32, steps=30)
    assert trainer.history == straight.history
    assert same_weights(trainer.G, straight.G)


def test_keyboard_interrupt_from_inside_a_step_is_kept_too(small_images, tmp_path, capsys):
    def interrupt(trainer):
        if trainer.step == 10:
            raise KeyboardInterrupt  # e.g. a second Ctrl-C, which stops at once

    path = tmp_path / "ctrl_c.pt"
    trainer = make_trainer(checkpoint=path)
    trainer.train(small_images, batch_size=32, steps=50, every=5, callback=interrupt)
    assert trainer.step == 10
    assert gan_utils.load_checkpoint(path)["step"] == 10
    assert "run train again to continue" in capsys.readouterr().out


def test_nan_loss_stops_training_and_keeps_the_last_good_weights(small_images, tmp_path):
    path = tmp_path / "nan.pt"
    trainer = make_trainer(checkpoint=path)
    trainer.train(small_images, batch_size=32, steps=5)
    good_G = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    good_D = {k: v.clone() for k, v in trainer.D.state_dict().items()}

    broken = small_images.clone()
    broken[:, :, 10, 10] = float("nan")  # one bad pixel in every image
    with pytest.raises(gan_utils.TrainingDiverged, match=r"step 6: the discriminator loss became nan") as error:
        trainer.train(broken, batch_size=32, steps=5)
    assert "last good weights are kept" in str(error.value)
    assert trainer.step == 5 and len(trainer.history["d_loss"]) == 5
    assert all(torch.equal(good_G[k], v) for k, v in trainer.G.state_dict().items())
    assert all(torch.equal(good_D[k], v) for k, v in trainer.D.state_dict().items())
    saved = gan_utils.load_generator(path)
    assert all(torch.isfinite(p).all() for p in saved.parameters())
    assert gan_utils.load_checkpoint(path)["step"] == 5


def test_conditional_training_asks_for_the_batch_labels(mnist, tmp_path):
    images, labels = mnist[0][:1024], mnist[1][:1024]
    trainer = conditional_gan(seed=0, checkpoint=tmp_path / "cgan.pt")
    asked = []
    forward = trainer.G.forward
    trainer.G.forward = lambda z, y: asked.append(y) or forward(z, y)
    trainer.train(images, labels, batch_size=32, steps=3)
    assert trainer.step == 3 and len(asked) == 3
    assert all(set(y.tolist()) <= set(labels.tolist()) for y in asked)
    G = gan_utils.load_generator(tmp_path / "cgan.pt")
    assert G.num_classes == 10 and not G.training


def test_conditional_resume_continues_exactly(mnist, tmp_path):
    images, labels = mnist[0][:1024], mnist[1][:1024]
    straight = conditional_gan(seed=3)
    straight.train(images, labels, batch_size=32, steps=4)
    path = tmp_path / "cgan.pt"
    conditional_gan(seed=3, checkpoint=path).train(images, labels, batch_size=32, steps=3)
    resumed = gan_utils.GANTrainer.from_checkpoint(path, device="cpu")
    resumed.train(images, labels, batch_size=32, steps=1)
    assert resumed.history == straight.history  # dropout in both networks: the torch RNG is restored too


def test_mismatched_data_gets_a_clear_error(small_images, mnist):
    trainer = make_trainer()
    with pytest.raises(ValueError, match=r"shaped \(1, 32, 32\) but the generator makes \(1, 28, 28\)"):
        trainer.train(torch.zeros(8, 1, 32, 32), steps=1)
    with pytest.raises(ValueError, match="plain GAN without them"):
        trainer.train(small_images, mnist[1][:1024], steps=1)
    with pytest.raises(ValueError, match="conditional GAN trains with labels"):
        conditional_gan().train(small_images, steps=1)
    assert trainer.step == 0


def test_a_list_of_callbacks_runs_each_one(small_images):
    first, second = [], []
    make_trainer().train(small_images, steps=20, every=10, callback=[first.append, second.append])
    assert len(first) == len(second) == 3


def test_keep_best_saves_the_best_generator_not_the_last(small_images, tmp_path):
    scores = iter([0.5, 0.9, 0.7])  # the second scoring is the best
    keeper = gan_utils.KeepBest(lambda G: next(scores), tmp_path / "best.pt")
    trainer = make_trainer()
    snapshots = []  # the (averaged) generator's weights at steps 0, 10, 20 and 30

    def snapshot(trainer):
        snapshots.append({k: v.clone() for k, v in trainer.generator.state_dict().items()})

    trainer.train(small_images, steps=30, every=10, callback=[keeper, snapshot])
    assert keeper.scores == [(10, 0.5), (20, 0.9), (30, 0.7)]
    assert (keeper.best, keeper.best_step) == (0.9, 20)
    saved = gan_utils.load_checkpoint(tmp_path / "best.pt")
    assert saved["step"] == 20 and saved["score"] == 0.9
    G = gan_utils.load_generator(tmp_path / "best.pt")
    assert all(torch.equal(snapshots[2][k], v) for k, v in G.state_dict().items())
    assert not all(torch.equal(snapshots[3][k], v) for k, v in G.state_dict().items())


def test_keep_best_can_minimise_a_distance(small_images, tmp_path):
    scores = iter([3.0, 1.0, 2.0])
    keeper = gan_utils.KeepBest(lambda G: next(scores), tmp_path / "best.pt", lower_is_better=True)
    make_trainer().train(small_images, steps=30, every=10, callback=keeper)
    assert (keeper.best, keeper.best_step) == (1.0, 20)


def test_the_average_generator_follows_the_generator_with_a_warm_up(small_images):
    trainer = make_trainer(ema=0.999)
    trainer.train(small_images, batch_size=32, steps=1)
    assert same_weights(trainer.generator, trainer.G)  # the first step's weights start the average
    first = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    trainer.train(small_images, batch_size=32, steps=1)
    # one step averaged before: d = min(0.999, (1 + 1) / (10 + 1)), so the average moves 9/11 of the way
    for name, average in trainer.generator.state_dict().items():
        expected = first[name] + 9 / 11 * (trainer.G.state_dict()[name] - first[name])
        assert torch.allclose(average, expected, atol=1e-6), name
    trainer.train(small_images, batch_size=32, steps=19)
    assert trainer.generator is not trainer.G and not same_weights(trainer.generator, trainer.G)
    assert int(trainer.G_ema.n_averaged) == 21


def test_without_average_the_trainer_samples_from_the_generator(small_images, tmp_path):
    trainer = make_trainer(ema=None, checkpoint=tmp_path / "plain.pt")
    trainer.train(small_images, batch_size=32, steps=3)
    assert trainer.generator is trainer.G
    assert same_weights(gan_utils.load_generator(tmp_path / "plain.pt"), trainer.G)
    resumed = gan_utils.GANTrainer.from_checkpoint(tmp_path / "plain.pt", device="cpu")
    assert resumed.G_ema is None and same_weights(resumed.G, trainer.G)


def test_an_average_of_a_batchnorm_generator_measures_its_own_statistics(tmp_path):
    trainer = gan_utils.recipes.dcgan(seed=0, channels=1, image_size=32, checkpoint=tmp_path / "dc.pt")
    images = torch.rand(64, 1, 32, 32) * 2 - 1
    trainer.train(images, batch_size=8, steps=3)
    G = gan_utils.load_generator(tmp_path / "dc.pt")
    assert same_weights(G, trainer.generator)  # weights, BatchNorm statistics and its count of batches
    # train() ended by measuring the statistics again on the average's own samples: 2,048, in 8 batches
    inputs = []
    G.net[1].register_forward_hook(lambda layer, x, y: inputs.append(x[0]))
    gan_utils.generate(G, gan_utils.make_noise(2048, G.latent_dim, seed=0))
    assert torch.allclose(G.net[1].running_mean, inputs[0].mean((0, 2, 3)), atol=1e-5)
    assert int(G.net[1].num_batches_tracked) == 8
    assert not torch.allclose(G.net[1].running_mean, trainer.G.net[1].running_mean, atol=1e-3)  # not G's own


def test_train_uses_the_trainers_batch_size_unless_told(small_images, monkeypatch):
    trainer = make_trainer(batch_size=7)
    seen, step = [], trainer.train_step

    def recording_step(images, labels, size):
        seen.append(size)
        step(images, labels, size)

    monkeypatch.setattr(trainer, "train_step", recording_step)
    trainer.train(small_images, steps=2)
    trainer.train(small_images, steps=1, batch_size=5)
    assert seen == [7, 7, 5]


# --- the precision: bfloat16 only where the CPU has it natively ------------------------------------------


def test_bfloat16_only_where_asked_or_native(monkeypatch):
    monkeypatch.delenv("GAN_BFLOAT16", raising=False)
    assert not has_fast_bfloat16(torch.device("cuda"))
    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    assert GANTrainer(G, D, device="cpu", bfloat16=False).bfloat16 is False
    assert GANTrainer(G, D, device="cpu", bfloat16=True).bfloat16 is True
    assert GANTrainer(G, D, device="cpu").bfloat16 == has_fast_bfloat16(torch.device("cpu"))


def test_avx512_without_native_bfloat16_trains_in_float32(monkeypatch):
    """oneDNN says bfloat16 is "supported" on any AVX-512 CPU (emulated, 2.5x slower): that must not count."""
    monkeypatch.delenv("GAN_BFLOAT16", raising=False)
    monkeypatch.setattr(training.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    chosen, reason = choose_bfloat16(torch.device("cpu"))
    assert chosen is False and "no native bfloat16" in reason
    assert GANTrainer(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1), device="cpu").bfloat16 is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)  # AMX alone is native bfloat16
    assert choose_bfloat16(torch.device("cpu"))[0] is True


def test_gan_bfloat16_overrides_the_choice(monkeypatch):
    for value, expected in (("0", False), ("1", True)):
        monkeypatch.setenv("GAN_BFLOAT16", value)
        assert choose_bfloat16(torch.device("cpu")) == (expected, f"GAN_BFLOAT16={value} says so")
    monkeypatch.setenv("GAN_BFLOAT16", "yes")
    with pytest.raises(ValueError, match="set it to 1 \\(bfloat16\\), 0 \\(float32\\)"):
        choose_bfloat16(torch.device("cpu"))


def test_training_says_once_which_precision_and_why(small_images, capsys):
    trainer = make_trainer(bfloat16=False)
    trainer.train(small_images, steps=2)
    trainer.train(small_images, steps=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Training on")]
    assert lines == ["Training on cpu in float32: bfloat16=False was asked for."]


@pytest.mark.parametrize("bfloat16, steps", [(False, 15), (True, 5)], ids=["float32", "bfloat16"])
def test_same_seed_same_machine_same_precision_same_run(small_images, bfloat16, steps):
    """In either precision (bfloat16 emulated where the CPU lacks it: the other tests train in float32)."""
    runs = []
    for _ in range(2):  # built and trained in turn, as a notebook does (dropout draws from torch's global seed)
        runs.append(make_trainer(seed=3, bfloat16=bfloat16))
        runs[-1].train(small_images, batch_size=32, steps=steps)
        assert runs[-1].bfloat16 is bfloat16
    assert runs[0].history == runs[1].history
    assert same_weights(runs[0].G, runs[1].G) and same_weights(runs[0].generator, runs[1].generator)


# --- the live figure: redrawn by time, whatever the machine's speed ----------------------------------------


def test_live_redraws_by_time_not_by_steps(small_images):
    every_step, never = [], []
    make_trainer().train(small_images, steps=12, live=lambda t: every_step.append(t.step), redraw_seconds=0)
    make_trainer().train(small_images, steps=12, live=lambda t: never.append(t.step), redraw_seconds=3600)
    assert every_step == list(range(13))  # the start, then after every step: the last one is not drawn twice
    assert never == [0, 12]  # only the start and the end


def test_live_redraws_every_few_seconds_on_a_slow_machine(small_images, monkeypatch):
    """A machine that needs a simulated second per step still sees a new frame every 3 seconds."""
    clock = [0.0]
    monkeypatch.setattr(training.time, "perf_counter", lambda: clock[0])
    trainer = make_trainer()
    step = trainer.train_step

    def slow_step(*args):
        step(*args)
        clock[0] += 1.0

    monkeypatch.setattr(trainer, "train_step", slow_step)
    frames = []
    trainer.train(small_images, steps=10, live=lambda t: frames.append(t.step), every=1000)
    assert frames == [0, 3, 6, 9, 10]


def test_the_trainer_trains_with_the_updates_it_is_given(small_images):
    """Notebook 01's "Your turn": the student's update_D and update_G train the GAN, and their results
    (tensors or plain numbers) go into the history."""
    calls = []

    def my_update_D(real, fake, D, opt_D, real_label=1.0):
        calls.append(("D", real_label))
        loss, d_x, d_g_z = gan_utils.update_D(real, fake, D, opt_D, real_label)
        return loss.item(), d_x, d_g_z.item()  # plain numbers are fine too

    def my_update_G(fake, D, opt_G):
        calls.append(("G", None))
        return gan_utils.update_G(fake, D, opt_G)

    mine = make_trainer(label_smoothing=0.1, update_D=my_update_D, update_G=my_update_G)
    mine.train(small_images, batch_size=16, steps=3)
    ours = make_trainer(label_smoothing=0.1)  # seeded afresh: the same dropout masks as mine had
    ours.train(small_images, batch_size=16, steps=3)
    assert calls == [("D", 0.9), ("G", None)] * 3
    assert same_weights(mine.G, ours.G) and same_weights(mine.D, ours.D)
    for key in ours.history:
        assert mine.history[key] == pytest.approx(ours.history[key]), key
    assert make_trainer(update_D=None, update_G=None).update_D is training.update_D  # None: the module's own


def test_updates_given_to_the_trainer_cannot_hide_a_nan(small_images):
    """The module's updates stop before a NaN reaches the weights; a student's may not check, so the trainer does."""

    def update_D(real, fake, D, opt_D, real_label=1.0):
        return torch.tensor(float("nan")), 0.5, 0.5

    trainer = make_trainer(update_D=update_D)
    with pytest.raises(gan_utils.TrainingDiverged, match="Training stopped at step 1: the losses and scores became"):
        trainer.train(small_images, batch_size=16, steps=3)
    assert trainer.step == 0 and trainer.history["d_loss"] == []


def test_a_frozen_network_gets_no_gradient_and_is_unfrozen_after_an_error():
    net = torch.nn.Linear(3, 1)
    x = torch.randn(4, 3, requires_grad=True)
    with training.frozen(net):
        net(x).sum().backward()
    assert net.weight.grad is None and x.grad is not None  # gradients flow through, not into, the net
    with pytest.raises(RuntimeError), training.frozen(net):
        raise RuntimeError("a failed update")
    assert all(p.requires_grad for p in net.parameters())


def test_convolution_weights_are_channels_last_on_cpu():
    trainer = GANTrainer(gan_utils.DCGANGenerator(16, 1, 16, 8), gan_utils.DCGANDiscriminator(1, 16, 8), device="cpu")
    conv = trainer.D.net[2].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
