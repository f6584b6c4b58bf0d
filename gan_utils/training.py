"""One training loop for every GAN in the series.

A step is two updates: ``update_D`` teaches the discriminator to score real images as real (1) and fakes as
fake (0); ``update_G`` teaches the generator to make it score its fakes as real. ``GANTrainer`` holds
everything a run needs and repeats them for a number of steps, epochs or minutes; calling ``train`` again,
or on a trainer rebuilt with ``GANTrainer.from_checkpoint``, continues where the last call stopped.
"""

import math
import os
import platform
import signal
import threading
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, update_bn
from tqdm.auto import tqdm

from .checkpoints import load_checkpoint, pack_model, save_checkpoint, unpack_model
from .utils import make_noise, pick_device

bce = nn.BCEWithLogitsLoss()  # binary cross-entropy on logits: sigmoid + log in one stable step


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite, so training stopped."""


def update_D(real, fake, D, opt_D, real_label=1.0):
    """One step of the discriminator. Returns its loss, D(x) and D(G(z))."""
    real_logits = D(real)
    fake_logits = D(fake.detach())  # detach: this step must not change the generator
    real_targets = torch.full_like(real_logits, real_label)  # 0.9 instead of 1 with label smoothing
    loss = bce(real_logits, real_targets) + bce(fake_logits, torch.zeros_like(fake_logits))
    stop_if_not_finite(loss, "discriminator")
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.detach(), torch.sigmoid(real_logits).mean().detach(), torch.sigmoid(fake_logits).mean().detach()


def update_G(fake, D, opt_G):
    """One step of the generator. Returns its loss."""
    fake_logits = D(fake)  # score the fakes again: D has just changed
    # Non-saturating loss: push D(G(z)) up towards 1, rather than log(1 - D(G(z))) down,
    # which gives the generator almost no gradient while D still wins easily.
    loss = bce(fake_logits, torch.ones_like(fake_logits))
    stop_if_not_finite(loss, "generator")
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.detach()


# GANTrainer's two updates when it is given none (its arguments of the same names hide these functions)
DEFAULT_UPDATE_D, DEFAULT_UPDATE_G = update_D, update_G


def stop_if_not_finite(loss, network):
    """Raise before a NaN or infinite loss can reach the weights."""
    if not torch.isfinite(loss):
        raise TrainingDiverged(f"the {network} loss became {loss.item()}")


class GANTrainer:
    """Trains a generator ``G`` against a discriminator ``D`` with Adam and BCE.

    ``label_smoothing=0.1`` asks D to score real images 0.9 rather than 1 (one-sided:
    fakes stay 0), which keeps D from becoming over-confident. ``checkpoint`` is a
    file path: the trainer saves to it whenever ``train`` ends, stops or fails.
    ``bfloat16=True`` computes the networks' matrix products in bfloat16 (float32's range, 8 bits of
    precision instead of 24; the weights stay float32). The default, ``"auto"``, does so only where it is
    faster (see ``choose_bfloat16``); the first ``train`` prints which precision it uses and why.

    ``ema=0.995`` keeps an exponential moving average of the generator's weights (Karras et al.
    2018 and most GANs since), spanning roughly the last 200 steps (early on, the last ~10%: ``ema_update``).
    Each step's generator is pushed around by the discriminator of that moment; the average smooths those
    jolts out and usually draws cleaner images (early in a run it can lag: docs/benchmarks.md). It is what
    the live figure shows, ``KeepBest`` scores and the checkpoint's generator holds. ``ema=None`` samples
    from the generator itself.

    ``update_D`` and ``update_G`` are the two updates each step makes, by default this module's own; give your
    own functions with the same arguments and results (notebook 01's "Your turn" cells) to train with them.
    """

    def __init__(
        self,
        G,
        D,
        lr=2e-4,
        betas=(0.5, 0.999),
        label_smoothing=0.0,
        seed=0,
        checkpoint=None,
        device=None,
        bfloat16="auto",
        batch_size=64,
        ema=0.995,
        update_D=None,
        update_G=None,
    ):
        self.update_D = update_D or DEFAULT_UPDATE_D  # the two updates of each step (see the docstring)
        self.update_G = update_G or DEFAULT_UPDATE_G
        self.device = torch.device(device) if device else pick_device()
        # channels_last stores each pixel's channels side by side, the order in which a CPU's
        # convolutions read them (faster on CPU; it only changes the convolutions' weights).
        layout = torch.channels_last if self.device.type == "cpu" else torch.preserve_format
        self.G = G.to(self.device, memory_format=layout)
        self.D = D.to(self.device, memory_format=layout)
        fused = self.device.type in ("cpu", "cuda") or None  # one kernel for all weights: faster, same maths
        self.opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=betas, fused=fused)
        self.opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=betas, fused=fused)
        if bfloat16 == "auto":
            self.precision_choice = choose_bfloat16(self.device)  # (bfloat16 or not, why)
        else:
            self.precision_choice = bool(bfloat16), f"bfloat16={bool(bfloat16)} was asked for"
        self.bfloat16 = self.precision_choice[0]
        self.announced = False  # whether train() has said which precision it uses
        self.label_smoothing = label_smoothing
        self.rng = torch.Generator().manual_seed(seed)  # batches and noise: saved with the checkpoint
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.batch_size = batch_size  # what train() uses unless told otherwise
        self.ema = ema
        # torch's AveragedModel keeps a copy of G (weights and BatchNorm statistics) and averages into it
        self.G_ema = AveragedModel(self.G, multi_avg_fn=partial(ema_update, ema), use_buffers=True) if ema else None
        self.step = 0
        self.history = {"d_loss": [], "g_loss": [], "D(x)": [], "D(G(z))": []}

    def train_step(self, images, labels, batch_size):
        """One step: a random batch of real images, a batch of fakes, then update D and G."""
        index = torch.randint(len(images), (batch_size,), generator=self.rng)
        real = images[index]
        z = torch.randn(batch_size, self.G.latent_dim, generator=self.rng).to(self.device)
        bfloat16 = partial(torch.autocast, self.device.type, torch.bfloat16, enabled=self.bfloat16)  # see GANTrainer
        with bfloat16():
            if labels is None:
                fake, D = self.G(z), self.D  # made once, used by both updates
            else:  # conditional: the fakes are asked for the same digits as the real batch shows
                y = labels[index]
                fake, D = self.G(z, y), partial(self.D, labels=y)
            d_loss, d_x, d_g_z = self.update_D(real, fake, D, self.opt_D, 1.0 - self.label_smoothing)
        # A new autocast block: the bfloat16 copies of D's weights made above are out of date now.
        with bfloat16(), frozen(self.D):  # G's update needs gradients through D, not for D's own weights
            g_loss = self.update_G(fake, D, self.opt_G)
        # tensors or plain numbers (a student's update may return loss.item()), gathered on the training device
        scores = [torch.as_tensor(value, device=self.device).detach().float() for value in (d_loss, g_loss, d_x, d_g_z)]
        scores = torch.stack(scores).tolist()  # one copy to Python numbers per step
        if not all(map(math.isfinite, scores)):  # updates given to the trainer may not check their losses
            raise TrainingDiverged(f"the losses and scores became {scores}")
        if self.G_ema is not None:
            self.G_ema.update_parameters(self.G)
        self.step += 1
        for key, value in zip(self.history, scores):
            self.history[key].append(value)

    @property
    def precision(self):
        return "bfloat16" if self.bfloat16 else "float32"

    @property
    def generator(self):
        """The generator to draw samples from: the average of the generator's weights (with ``ema``),
        else the generator itself."""
        return self.G_ema.module if self.G_ema is not None else self.G

    def calibrate(self):
        """Measure the average's BatchNorm statistics again, on 2,048 samples (torch's ``update_bn``, as SWA does):
        averaged over the steps, they were measured on other weights. ``train`` calls it as it ends."""
        if self.G_ema is not None and not hasattr(self.G, "num_classes"):  # (the conditional G has no BatchNorm)
            update_bn(make_noise(2048, self.G.latent_dim, seed=0, device=self.device).split(256), self.G_ema.module)

    def train(
        self,
        images,
        labels=None,
        batch_size=None,
        steps=None,
        epochs=None,
        minutes=None,
        live=None,
        callback=None,
        every=100,
        save_every=None,
        redraw_seconds=3.0,
    ):
        """Train for ``steps`` steps, ``epochs`` passes over ``images`` or ``minutes`` of wall time,
        whichever ends first. Give the ``labels`` of the images to train a conditional GAN.

        ``live(trainer)`` (a ``LiveView``) runs at the start, every ``redraw_seconds`` of training and at
        the end: the figure moves every few seconds on a fast machine and on a slow one alike.
        ``callback(trainer)`` runs at the start, every ``every`` steps and at the end (``KeepBest`` is
        such a callback). Either can be a list of several. With ``save_every``, the checkpoint is also
        written every that many steps. ``batch_size`` defaults to the trainer's.

        Ctrl-C (Jupyter's stop button) stops after the current step and keeps everything:
        call ``train`` again to continue. Returns the history of scores, one value per step.
        """
        if steps is None and epochs is None and minutes is None:
            raise ValueError("Say how long to train: give steps=, epochs= or minutes=.")
        batch_size = batch_size or self.batch_size
        live, callback = (partial(run_all, run) if isinstance(run, (list, tuple)) else run for run in (live, callback))
        if len(images) == 0:
            raise ValueError("There are no images to train on: the dataset is empty.")
        if tuple(images.shape[1:]) != self.G.image_shape:
            raise ValueError(
                f"The images are shaped {tuple(images.shape[1:])} but the generator makes {self.G.image_shape}: "
                "build the two networks for this data (its channels and image size)."
            )
        if (labels is None) == hasattr(self.G, "num_classes"):
            raise ValueError("A conditional GAN trains with labels=..., and a plain GAN without them.")
        if epochs is not None:
            epoch_steps = math.ceil(epochs * len(images) / batch_size)
            steps = epoch_steps if steps is None else min(steps, epoch_steps)
        images = images.to(self.device)
        labels = labels.to(self.device) if labels is not None else None
        last_step = self.step + steps if steps is not None else math.inf
        if not self.announced:
            chosen, reason = self.precision_choice
            reason = reason if chosen == self.bfloat16 else "set on the trainer by hand"
            print(f"Training on {self.device.type} in {self.precision}: {reason}.")
            self.announced = True
        start = time.perf_counter()
        deadline = start + 60 * minutes if minutes is not None else math.inf
        bar = progress_bar(steps, minutes)
        for run in (live, callback):
            if run:
                run(self)
        frame_step = self.step  # the step the live figure shows
        next_frame = time.perf_counter() + redraw_seconds  # the live figure redraws by time, not by steps
        interrupted = False
        try:
            with ctrl_c_stops_after_step() as ctrl_c:
                while self.step < last_step and time.perf_counter() < deadline and not ctrl_c:
                    self.train_step(images, labels, batch_size)
                    if minutes is None:
                        bar.update(1)
                    else:  # the bar counts seconds of the time budget
                        bar.update(min(bar.total, int(time.perf_counter() - start)) - bar.n)
                    if save_every and self.step % save_every == 0:
                        self.save()
                    if self.step % every == 0:
                        bar.set_postfix(d_loss=self.history["d_loss"][-1], g_loss=self.history["g_loss"][-1])
                        if callback:
                            callback(self)
                    if live and time.perf_counter() >= next_frame:
                        live(self)
                        frame_step, next_frame = self.step, time.perf_counter() + redraw_seconds
            interrupted = bool(ctrl_c)
        except KeyboardInterrupt:  # a second Ctrl-C, which does not wait for the step to end
            interrupted = True
        except TrainingDiverged as error:
            raise TrainingDiverged(
                f"Training stopped at step {self.step + 1}: {error}. The last good weights are kept{self.save()}. "
                "Try a lower learning rate, and check the images for NaN values."
            ) from None
        finally:
            bar.close()
        self.calibrate()
        if callback and self.step % every != 0:
            callback(self)  # so that the last call sees the final state
        if live and frame_step != self.step:
            live(self)  # the last frame shows the final state
        note = self.save()
        if interrupted:
            print(f"Stopped by Ctrl-C after step {self.step}. Nothing is lost{note}: run train again to continue.")
        return self.history

    def save(self):
        """Write the checkpoint, if this trainer has a path for one. Returns a note saying where."""
        if self.checkpoint is None:
            return ""
        save_checkpoint(self.state_dict(), self.checkpoint)
        return f" (checkpoint: {self.checkpoint})"

    def state_dict(self):
        """Everything needed to continue this run exactly, as plain data."""
        return {
            "generator": pack_model(self.generator),  # what load_generator gives: the average, with ema
            "training_generator": pack_model(self.G),
            "discriminator": pack_model(self.D),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "label_smoothing": self.label_smoothing,
            "batch_size": self.batch_size,
            "ema": self.ema,
            "ema_steps": int(self.G_ema.n_averaged) if self.G_ema is not None else 0,
            "step": self.step,
            "history": self.history,
            "rng": self.rng.get_state(),
            "torch_rng": torch.get_rng_state(),  # dropout, if a model uses it
        }

    @classmethod
    def from_checkpoint(cls, path, device=None):
        """Rebuild a trainer from its checkpoint file, ready to continue training."""
        state = load_checkpoint(path)
        G = unpack_model(state.get("training_generator", state["generator"]))  # older files: no average
        D = unpack_model(state["discriminator"])
        settings = {"ema": state.get("ema"), "batch_size": state.get("batch_size", 64)}  # older files: neither
        trainer = cls(G, D, label_smoothing=state["label_smoothing"], checkpoint=path, device=device, **settings)
        if trainer.G_ema is not None:
            trainer.G_ema.module.load_state_dict(state["generator"]["weights"])
            trainer.G_ema.n_averaged.fill_(state["ema_steps"])
        trainer.opt_G.load_state_dict(state["opt_G"])  # also restores lr and betas
        trainer.opt_D.load_state_dict(state["opt_D"])
        trainer.step, trainer.history = state["step"], state["history"]
        trainer.rng.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        return trainer


@torch.no_grad()
def ema_update(decay, averages, weights, steps_averaged):
    """Move each average ``1 - min(decay, (1 + n) / (10 + n))`` of the way towards the generator's weight after
    ``n`` steps averaged, so that the first, poor weights are soon forgotten (TensorFlow's EMA warm-up)."""
    if not averages[0].is_floating_point():  # BatchNorm's count of batches seen: a count, not averaged
        torch._foreach_copy_(averages, weights)
        return
    n = float(steps_averaged)
    torch._foreach_lerp_(averages, weights, 1 - min(decay, (1 + n) / (10 + n)))


def run_all(callbacks, trainer):
    """Run several callbacks, in order."""
    for callback in callbacks:
        callback(trainer)


class KeepBest:
    """A callback that keeps the best generator seen so far, not the last.

    A GAN's samples get worse as well as better while it trains (the two networks keep
    pushing each other around), so the last step is not always the best one. Each time
    the trainer calls it (every ``every`` steps of ``train``), this scores the generator with
    ``score(G)`` (higher is better; give ``lower_is_better=True`` for a distance) and, when
    the score beats the best so far, saves the generator to ``path``, where
    ``load_generator`` finds it.
    """

    def __init__(self, score, path, lower_is_better=False):
        self.score, self.path = score, Path(path)
        self.sign = -1 if lower_is_better else 1
        self.best, self.best_step, self.scores = None, None, []  # scores: (step, score) pairs

    def __call__(self, trainer):
        if trainer.step == 0 or (self.scores and self.scores[-1][0] == trainer.step):
            return  # nothing learned yet, or this step is scored already
        value = self.score(trainer.generator)
        self.scores.append((trainer.step, value))
        if self.best is None or self.sign * value > self.sign * self.best:
            self.best, self.best_step = value, trainer.step
            state = {"generator": pack_model(trainer.generator), "score": value, "step": trainer.step}
            save_checkpoint(state, self.path)


def choose_bfloat16(device):
    """Whether to train in bfloat16 on ``device``, and why, in words: ``(True or False, reason)``.

    bfloat16 only where it is faster: on an x86 CPU with native bfloat16 instructions (AVX512_BF16, or
    AMX). A CPU with AVX-512 but neither still runs bfloat16, but emulated (converted to float32 and back
    around every product), which made a step 2.5 times slower than float32 (docs/benchmarks.md).
    ``GAN_BFLOAT16=1`` or ``0`` in the environment overrides the choice, e.g. to compare the two.
    """
    forced = os.environ.get("GAN_BFLOAT16", "").strip()
    if forced in ("0", "1"):
        return forced == "1", f"GAN_BFLOAT16={forced} says so"
    if forced:
        raise ValueError(f"GAN_BFLOAT16 is {forced!r}: set it to 1 (bfloat16), 0 (float32) or leave it unset.")
    if device.type != "cpu":
        return False, f"bfloat16 is used on CPUs only; float32 on {device.type}"
    if has_fast_bfloat16(device):
        return True, "this CPU has native bfloat16 instructions, faster than float32"
    return False, "this CPU has no native bfloat16 instructions (AVX512_BF16 or AMX), so float32 is faster"


def has_fast_bfloat16(device):
    """Whether ``device`` is an x86 CPU with native bfloat16 instructions (AVX512_BF16 or AMX).

    Not ``torch.ops.mkldnn._is_mkldnn_bf16_supported()``: it is True on every AVX-512 CPU, where oneDNN
    emulates bfloat16 (slowly) when the instructions are missing."""
    if device.type != "cpu" or platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # an older PyTorch without these checks
        return False


@contextmanager
def frozen(net):
    """Inside this block, backward() computes no gradients for ``net``'s own weights."""
    net.requires_grad_(False)
    try:
        yield
    finally:
        net.requires_grad_(True)


def progress_bar(steps, minutes):
    """A progress bar with an ETA: counting seconds when there is a time budget, else steps."""
    if minutes is None:
        return tqdm(total=steps, unit="step", desc="training")
    return tqdm(
        total=round(60 * minutes),
        desc=f"training for {minutes:g} min",
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed} elapsed, {remaining} left{postfix}",
        smoothing=0,  # the rate is one second per second, so the time left is exact
    )


@contextmanager
def ctrl_c_stops_after_step():
    """While active, Ctrl-C only sets a flag that the loop checks between steps, so the networks are never
    left halfway through an update. A second Ctrl-C stops at once."""
    pressed = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed  # signal handlers can only be set from the main thread
        return

    def on_ctrl_c(signum, frame):
        if pressed:
            raise KeyboardInterrupt
        pressed.append(True)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
