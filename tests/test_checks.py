"""The "Your turn" checks (gan_utils/checks.py): each says "correct" for two right answers written differently,
rejects each common mistake with its own message, says "not done yet" for the student edition's unfinished
cell, and hands back the reference so that the lesson goes on."""

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_utils import checks


def stub(*args):
    """A "Your turn" cell as the student edition hands it out (nbgrader's ClearSolutions)."""
    raise NotImplementedError()


def empty(*args):
    """A cell whose body is only ``...``."""
    ...


# --- update_D ----------------------------------------------------------------------------------------------


def d_step(loss, opt_D, zero_grad=True, step=True, zero_grad_after=False, backward=True):
    if zero_grad:
        opt_D.zero_grad()
    if backward:
        loss.backward()
    if zero_grad_after:
        opt_D.zero_grad()
    if step:
        opt_D.step()


def make_update_D(
    real_target=None,
    fake_target=0.0,
    detach=True,
    loss_form="logits",
    scale=1.0,
    terms="both",
    zero_grad=True,
    step=True,
    zero_grad_after=False,
    no_grad_fakes=False,
    scores="probabilities",
    backward=True,
):
    """An update_D with one thing changed from a right one (the defaults)."""

    def update_D(real, fake, D, opt_D, real_label=1.0):
        target = real_label if real_target is None else real_target
        real_logits = D(real)
        if no_grad_fakes:
            with torch.no_grad():
                fake_logits = D(fake)
        else:
            fake_logits = D(fake.detach() if detach else fake)
        if loss_form == "logits":
            real_loss = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, target))
            fake_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.full_like(fake_logits, fake_target))
        elif loss_form == "sigmoid twice":
            real_loss = F.binary_cross_entropy_with_logits(real_logits.sigmoid(), torch.full_like(real_logits, target))
            fake_loss = F.binary_cross_entropy_with_logits(fake_logits.sigmoid(), torch.zeros_like(fake_logits))
        elif loss_form == "probabilities":  # BCELoss on logits
            real_loss = nn.BCELoss()(real_logits, torch.full_like(real_logits, target))
            fake_loss = nn.BCELoss()(fake_logits, torch.zeros_like(fake_logits))
        loss = {"both": real_loss + fake_loss, "real": real_loss, "fake": fake_loss}[terms] * scale
        d_step(loss, opt_D, zero_grad, step, zero_grad_after, backward)
        d_x, d_g_z = (
            (real_logits.mean(), fake_logits.mean())
            if scores == "logits"
            else (real_logits.sigmoid().mean(), fake_logits.sigmoid().mean())
        )
        return (loss, d_g_z, d_x) if scores == "swapped" else (loss, d_x, d_g_z)

    return update_D


def update_D_log_sigmoid(real, fake, D, opt_D, real_label=1.0):
    """A right answer unlike ours: one batch of reals and fakes, BCE written with log-sigmoid by hand."""
    logits = D(torch.cat([real, fake.detach()]))
    real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
    # BCE(l, t) = -(t log sigmoid(l) + (1 - t) log sigmoid(-l))
    real_loss = -(real_label * F.logsigmoid(real_logits) + (1 - real_label) * F.logsigmoid(-real_logits)).mean()
    fake_loss = -F.logsigmoid(-fake_logits).mean()
    loss = real_loss + fake_loss
    D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.item(), torch.sigmoid(real_logits).mean().item(), torch.sigmoid(fake_logits).mean().item()


def update_D_no_return(real, fake, D, opt_D, real_label=1.0):
    make_update_D()(real, fake, D, opt_D, real_label)


def update_D_loss_only(real, fake, D, opt_D, real_label=1.0):
    return make_update_D()(real, fake, D, opt_D, real_label)[0]


D_MISTAKES = {
    "missing detach": (make_update_D(detach=False), "did you detach() the fakes"),
    "labels swapped": (make_update_D(real_target=0.0, fake_target=0.9), "labels swapped"),
    "real target 1 ignoring real_label": (make_update_D(real_target=1.0), "not 1"),
    "real target 0.9 ignoring real_label": (make_update_D(real_target=0.9), "not a fixed 0.9"),
    "fakes smoothed": (make_update_D(fake_target=0.1), "fakes' stays 0"),
    "sigmoid twice": (make_update_D(loss_form="sigmoid twice"), "sigmoid is applied twice"),
    "BCE on logits as probabilities": (make_update_D(loss_form="probabilities"), "not probabilities"),
    "fake term missing": (make_update_D(terms="real"), "fakes' term is missing"),
    "real term missing": (make_update_D(terms="fake"), "real images' term is missing"),
    "terms averaged": (make_update_D(scale=0.5), "averaged"),
    "summed over the batch": (make_update_D(scale=8.0), "summed over the batch"),
    "zero_grad missing": (make_update_D(zero_grad=False), "added last step's gradients"),
    "zero_grad after backward": (
        make_update_D(zero_grad=False, zero_grad_after=True),
        "before loss.backward(), not after",
    ),
    "step missing": (make_update_D(step=False), "call opt_D.step()"),
    "backward missing": (make_update_D(backward=False), "call loss.backward() before opt_D.step()"),
    "fakes scored under no_grad": (make_update_D(no_grad_fakes=True), "not under torch.no_grad()"),
    "logits returned as scores": (make_update_D(scores="logits"), "not a probability"),
    "scores swapped": (make_update_D(scores="swapped"), "D(x) and D(G(z)) are swapped"),
    "returns nothing": (update_D_no_return, "returns nothing"),
    "returns the loss only": (update_D_loss_only, "should return three values"),
    "the loss negated": (make_update_D(scale=-1.0), "wrong sign"),
}


# --- update_G ----------------------------------------------------------------------------------------------


def make_update_G(
    form="non-saturating",
    detach=False,
    target=1.0,
    zero_grad=True,
    step=True,
    zero_grad_after=False,
    scale=1.0,
    backward=True,
):
    def update_G(fake, D, opt_G):
        logits = D(fake.detach() if detach else fake)
        if form == "non-saturating":
            loss = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
        elif form == "minimax":
            loss = torch.log(1 - torch.sigmoid(logits)).mean()
        elif form == "sigmoid twice":
            loss = F.binary_cross_entropy_with_logits(logits.sigmoid(), torch.ones_like(logits))
        elif form == "probabilities":
            loss = F.binary_cross_entropy(logits, torch.ones_like(logits))
        loss = loss * scale
        d_step(loss, opt_G, zero_grad, step, zero_grad_after, backward)
        return loss.detach()

    return update_G


def update_G_log_sigmoid(fake, D, opt_G):
    """A right answer unlike ours: -log D(G(z)) written with log-sigmoid."""
    opt_G.zero_grad()
    loss = -F.logsigmoid(D(fake)).mean()
    loss.backward()
    opt_G.step()
    return loss.item()


def update_G_no_return(fake, D, opt_G):
    make_update_G()(fake, D, opt_G)


G_MISTAKES = {
    "minimax loss": (make_update_G(form="minimax"), "minimax loss"),
    "label 0": (make_update_G(target=0.0), "label 1"),
    "smoothed target": (make_update_G(target=0.9), "not 0.9"),
    "sigmoid twice": (make_update_G(form="sigmoid twice"), "sigmoid is applied twice"),
    "BCE on logits as probabilities": (make_update_G(form="probabilities"), "not probabilities"),
    "fakes detached": (make_update_G(detach=True), "did you detach() the fakes"),
    "summed over the batch": (make_update_G(scale=8.0), "summed over the batch"),
    "zero_grad missing": (make_update_G(zero_grad=False), "added last step's gradients"),
    "zero_grad after backward": (make_update_G(zero_grad=False, zero_grad_after=True), "not after it"),
    "step missing": (make_update_G(step=False), "call opt_G.step()"),
    "backward missing": (make_update_G(backward=False), "call loss.backward() before opt_G.step()"),
    "returns nothing": (update_G_no_return, "returns nothing"),
}


@pytest.mark.parametrize("zero_grad", [True, False], ids=["zero_grad", "no zero_grad"])
@pytest.mark.parametrize("name, make", [("D", make_update_D), ("G", make_update_G)])
def test_a_missing_backward_is_named_not_taken_for_a_misplaced_zero_grad(name, make, zero_grad):
    problem = getattr(checks, f"problem_with_update_{name}")(make(backward=False, zero_grad=zero_grad))
    assert f"call loss.backward() before opt_{name}.step()" in problem and "not after" not in problem, problem


# --- glue_label --------------------------------------------------------------------------------------------


def glue_label_eye(x, labels, num_classes=10):
    """A right answer unlike ours: rows of an identity matrix as the one-hot vectors, hstack."""
    return torch.hstack([x.reshape(len(x), -1), torch.eye(num_classes, dtype=x.dtype)[labels]])


GLUE_MISTAKES = {
    "wrong axis": (lambda x, y, n=10: torch.cat([x.flatten(1), F.one_hot(y, n).float()], dim=0), "not dim=0"),
    "images not flattened": (lambda x, y, n=10: torch.cat([x, F.one_hot(y, n).float()], dim=1), "Flatten the images"),
    "label as one number": (lambda x, y, n=10: torch.cat([x.flatten(1), y[:, None].float()], 1), "as one number"),
    "one_hot without num_classes": (
        lambda x, y, n=10: torch.cat([x.flatten(1), F.one_hot(y).float()], 1),
        "num_classes",
    ),
    "label first": (lambda x, y, n=10: torch.cat([F.one_hot(y, n).float(), x.flatten(1)], 1), "comes first"),
    "integer result": (lambda x, y, n=10: torch.cat([x.flatten(1).long(), F.one_hot(y, n)], 1), "float type"),
}


# --- phone_digits ------------------------------------------------------------------------------------------


def phone_digits_regex(text):
    """A right answer unlike ours: regular expressions."""
    bad = re.search(r"[^\d\s\-./()]", text)
    if bad:
        raise ValueError(f"{bad.group()!r} is not a digit or a separator")
    return [int(d) for d in re.findall(r"\d", text)]


def phone_digits_vague(text):
    """Refuses the right texts, but does not say which character is wrong."""
    if re.search(r"[^\d\s\-./()]", text):
        raise ValueError("that is not a phone number")
    return phone_digits_regex(text)


PHONE_MISTAKES = {
    "strings": (lambda text: [c for c in text if c.isdigit()], "strings"),
    "leading zero lost": (lambda text: [int(c) for c in str(int(re.sub(r"\D", "", text)))], "leading 0 is gone"),
    "separators kept": (lambda text: [int(c) if c.isdigit() else -1 for c in text], "leave the separators out"),
    "a separator refused": (lambda text: [int(c) for c in text.replace("-", "")], "skip them"),
    "a letter accepted": (lambda text: [int(c) for c in text if c.isdigit()], "should raise a ValueError"),
    "not a list": (lambda text: "".join(c for c in text if c.isdigit()), "return a list of ints"),
    "a + accepted": (
        lambda text: phone_digits_regex(text.replace("+", "")),
        "should raise a ValueError that names '+'",
    ),
    "an error that names nothing": (phone_digits_vague, "say which character is wrong"),
}


# --- transposed_output_size --------------------------------------------------------------------------------


def output_size_by_stamping(size, kernel, stride=1, padding=0):
    """A right answer unlike ours: where the last stamp ends, minus the cropped borders."""
    last_stamp_starts = stride * (size - 1)
    return last_stamp_starts + kernel - padding - padding


SIZE_MISTAKES = {
    "padding not subtracted": (lambda n, k, s=1, p=0: (n - 1) * s + k, "subtract the padding, twice"),
    "padding subtracted once": (lambda n, k, s=1, p=0: (n - 1) * s + k - p, "not one"),
    "in x stride": (lambda n, k, s=1, p=0: n * s + k - 2 * p, "not in x stride"),
    "kernel left out": (lambda n, k, s=1, p=0: (n - 1) * s - 2 * p, "add the kernel"),
    "convolution's formula": (lambda n, k, s=1, p=0: (n + 2 * p - k) // s + 1, "normal convolution"),
    "a float": (lambda n, k, s=1, p=0: float((n - 1) * s + k - 2 * p), "a float"),
}


# --- generator_block ---------------------------------------------------------------------------------------


class BlockModule(nn.Module):
    """A right answer unlike ours: a module of its own, with positional arguments and the ReLU as a function."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1, bias=False)
        self.norm = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        return F.relu(self.norm(self.up(x)))


def block(*layers):
    return lambda i, o: nn.Sequential(*(layer(i, o) for layer in layers))


def up(padding=1, stride=2, kernel=4, bias=False):
    return lambda i, o: nn.ConvTranspose2d(i, o, kernel, stride, padding, bias=bias)


norm = lambda i, o: nn.BatchNorm2d(o)  # noqa: E731
relu = lambda i, o: nn.ReLU()  # noqa: E731

BLOCK_MISTAKES = {
    "padding 0": (block(up(padding=0), norm, relu), "4x12x12, not 4x10x10"),
    "stride 1": (block(up(stride=1), norm, relu), "4x6x6, not 4x10x10"),
    "kernel 2, padding 0": (
        block(up(kernel=2, padding=0), norm, relu),
        "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)",
    ),
    "bias left in": (block(up(bias=True), norm, relu), "pass bias=False"),
    "a convolution": (block(lambda i, o: nn.Conv2d(i, o, 4, 2, 1), norm, relu), "nn.ConvTranspose2d"),
    "no BatchNorm": (block(up(), relu), "no BatchNorm2d"),
    "LeakyReLU": (block(up(), norm, lambda i, o: nn.LeakyReLU(0.2)), "LeakyReLU is the discriminator's"),
    "Tanh": (block(up(), norm, lambda i, o: nn.Tanh()), "Tanh belongs only"),
    "ReLU before BatchNorm": (block(up(), relu, norm), "BatchNorm comes after the ReLU"),
    "no activation": (block(up(), norm), "no activation"),
}


# --- all checks --------------------------------------------------------------------------------------------

ALL = {
    "update_D": (checks.check_update_D, checks.reference_update_D, make_update_D(), D_MISTAKES),
    "update_G": (checks.check_update_G, checks.reference_update_G, make_update_G(), G_MISTAKES),
    "glue_label": (checks.check_glue_label, checks.reference_glue_label, glue_label_eye, GLUE_MISTAKES),
    "phone_digits": (checks.check_phone_digits, checks.reference_phone_digits, phone_digits_regex, PHONE_MISTAKES),
    "transposed_output_size": (
        checks.check_transposed_output_size,
        checks.reference_transposed_output_size,
        output_size_by_stamping,
        SIZE_MISTAKES,
    ),
    "generator_block": (checks.check_generator_block, checks.reference_generator_block, BlockModule, BLOCK_MISTAKES),
}


RIGHT_ANSWERS = {  # each check's right answers: ours, and others written differently
    "update_D": [checks.reference_update_D, make_update_D(), update_D_log_sigmoid],
    "update_G": [checks.reference_update_G, make_update_G(), update_G_log_sigmoid],
    "glue_label": [checks.reference_glue_label, glue_label_eye],
    "phone_digits": [checks.reference_phone_digits, phone_digits_regex],
    "transposed_output_size": [checks.reference_transposed_output_size, output_size_by_stamping],
    "generator_block": [checks.reference_generator_block, BlockModule],
}


@pytest.mark.parametrize(
    "name, right", [(name, right) for name, rights in RIGHT_ANSWERS.items() for right in rights], ids=str
)
def test_right_answers_pass(name, right):
    assert getattr(checks, f"problem_with_{name}")(right) is None


@pytest.mark.parametrize("name, mistake", [(name, mistake) for name in ALL for mistake in ALL[name][3]], ids=str)
def test_each_mistake_has_its_own_message(name, mistake):
    wrong, message = ALL[name][3][mistake]
    problem = getattr(checks, f"problem_with_{name}")(wrong)
    assert problem is not None and message in problem, problem


@pytest.mark.parametrize("name", ALL)
def test_each_mistake_gets_a_different_message(name):
    mistakes = ALL[name][3]
    assert len({message for _, message in mistakes.values()}) == len(mistakes)
    problems = [ALL[name][3][m][0] for m in mistakes]
    problem_with = getattr(checks, f"problem_with_{name}")
    texts = [problem_with(wrong).split(":")[-1] for wrong in problems]  # the hint, without the numbers before it
    assert len(set(texts)) == len(texts), texts


@pytest.mark.parametrize("name", ALL)
def test_unfinished_cells_are_not_done_yet_and_the_lesson_goes_on_with_ours(name, capsys):
    check, reference, right, mistakes = ALL[name]
    for unfinished in (stub, empty):
        assert check(unfinished) is reference
        printed = capsys.readouterr().out
        assert "not done yet" in printed and f"using the reference `{name}` for now" in printed, printed
        assert name not in checks.passed
    wrong = next(iter(mistakes.values()))[0]
    assert check(wrong) is reference
    printed = capsys.readouterr().out
    assert "not right yet" in printed and f"Using the reference `{name}` for now" in printed, printed
    assert check(right) is right and "correct" in capsys.readouterr().out and name in checks.passed


@pytest.mark.parametrize("name", ALL)
def test_a_check_leaves_the_lesson_random_numbers_alone(name):
    check, _, right, mistakes = ALL[name]
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for function in (right, *(wrong for wrong, _ in mistakes.values())):
        check(function)
    assert torch.equal(torch.rand(3), expected)
