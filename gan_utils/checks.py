"""Instant checks for the lessons' "Your turn" cells.

Each ``check_...`` runs the student's function on tiny tensors (well under a second), prints in words what
is right or wrong, and returns the function the lesson goes on with: the student's when it is correct, else
ours, saying so ("using the reference `update_D` for now"), so that nobody is ever stuck. Any right answer
passes, not only ours: a check compares what the function *does* (its loss, the weights after its step, its
output) with what it should do.

Each ``problem_with_...`` returns None if the function is right, else what is wrong (``NOT_DONE`` if it is
unfinished); it recognises its exercise's common mistakes (swapped labels, a missing ``detach()`` or
``zero_grad()``, the wrong axis or padding, ...) and names each in its own message.
"""

import copy
import functools
import re

import torch
import torch.nn.functional as F
from torch import nn

from .models import glue_label as reference_glue_label  # the networks' own
from .training import update_D as reference_update_D
from .training import update_G as reference_update_G

NOT_DONE = "not done yet"
passed = set()  # the names of the functions whose last check said "correct" (nbgrader's hidden tests read it)


def verdict(name, problem, theirs, ours):
    """Print the check's result and return the function the lesson goes on with."""
    if problem is None:
        passed.add(name)
        print(f"`{name}`: correct. The lesson goes on with yours.")
        return theirs
    passed.discard(name)
    if problem == NOT_DONE:
        print(f"`{name}` is not done yet: using the reference `{name}` for now.")
    else:
        print(f"`{name}` is not right yet: {problem}")
        print(f"Using the reference `{name}` for now; fix yours and run its cell and this one again.")
    return ours


def own_random_numbers(find_problem):
    """Run a check with random numbers of its own, seeded, so that the lesson's stay as they were (and
    a check gives the same answer every time)."""

    @functools.wraps(find_problem)
    def with_own_random_numbers(*args):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return find_problem(*args)

    return with_own_random_numbers


def run(function, *args):
    """Call the student's function; returns ``(result, None)``, or ``(None, problem)`` if it raised."""
    try:
        return function(*args), None
    except NotImplementedError:
        return None, NOT_DONE  # the student edition's cells raise it until they are filled in
    except Exception as error:  # any mistake: the check says what happened instead of failing the cell
        return None, explain(error)


def explain(error):
    """An error raised inside a student's function, in words, with a hint where we know the usual cause."""
    text = str(error).split("\n")[0].rstrip(".")
    if "between 0 and 1" in text:
        return (
            f"binary_cross_entropy got D's logits, which are not probabilities ({text}). Use "
            "F.binary_cross_entropy_with_logits or nn.BCEWithLogitsLoss, which apply the sigmoid themselves."
        )
    if "does not require grad" in text:
        return (
            f"loss.backward() found nothing to differentiate ({text}): did you detach() the fakes? In "
            "update_G the gradient must flow back through D into the generator."
        )
    return f"it raised {type(error).__name__}: {text}"


def number(value):
    """A student's result (a tensor, with or without a graph, or a Python number) as a float."""
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def close(a, b, tolerance=1e-4):
    return abs(number(a) - number(b)) <= tolerance * max(1.0, abs(number(b)))


def weights(net):
    return torch.cat([p.detach().flatten() for p in net.parameters()])


def gradients(net):
    """All of ``net``'s gradients as one vector, or None when it has none."""
    grads = [p.grad for p in net.parameters()]
    return None if all(g is None for g in grads) else torch.cat([g.flatten() for g in grads if g is not None])


# --- notebook 01: update_D and update_G ---------------------------------------------------------------------


def tiny_gan():
    """A GAN small enough to check in milliseconds: 2 noise numbers -> "images" of 3 numbers -> one logit.
    D scores the real batch high and the fakes low (logits around +1.3 and -1.4), so that a swap shows."""
    G, D = nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 1), nn.Flatten(0))
    z = torch.randn(8, 2)
    real = 1.0 + 0.3 * torch.randn(8, 3)
    with torch.no_grad():
        G.weight.mul_(0.3), G.bias.fill_(-1.0)  # fakes around -1
        D[0].weight.fill_(0.45), D[0].bias.fill_(0.0)  # logits: reals around +1.3, fakes around -1.4
    return G, D, z, real


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def sgd(net, stale_gradients):
    """Plain SGD, whose step is exactly -0.1 x the gradient, so the check can predict it. With
    ``stale_gradients``, every weight starts with a leftover gradient, as after a previous step.
    ``net.backward_ran`` says whether a loss.backward() reached its weights."""
    net.backward_ran = False
    for p in net.parameters():
        p.grad = torch.full_like(p, 0.5) if stale_gradients else None
        p.register_hook(lambda grad: setattr(net, "backward_ran", True))
    return torch.optim.SGD(net.parameters(), lr=0.1)


def d_step(G, D, z, real, update, real_label=0.9, stale_gradients=True):
    """Run ``update`` as the trainer does: on fresh copies of the tiny networks. Returns what it gives back
    (or the problem it raised), the discriminator after the step and the generator."""
    G, D = copy.deepcopy(G), copy.deepcopy(D)
    opt_D = sgd(D, stale_gradients)
    result, problem = run(update, real, G(z), D, opt_D, real_label)
    return result, problem, D, G


@own_random_numbers
def problem_with_update_D(update_D):
    G, D, z, real = tiny_gan()
    result, problem, D_after, G_after = d_step(G, D, z, real, update_D)
    if problem:
        return problem
    moved = not torch.equal(weights(D_after), weights(D))
    if result is None:
        return "update_D returns nothing: return the loss, D(x) and D(G(z))." if moved else NOT_DONE
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return "update_D should return three values: the loss, D(x) and D(G(z)) (the trainer plots all three)."
    if gradients(G_after) is not None:  # the fakes' gradient reached the generator: D's loss must not train G
        return "the generator got gradients during update_D: did you detach() the fakes? (D(fake.detach()))"
    loss, d_x, d_g_z = result
    with torch.no_grad():
        real_logits, fake_logits = D(real), D(G(z))
    expected = bce(real_logits, 0.9) + bce(fake_logits, 0.0)
    if not close(loss, expected):
        return wrong_d_loss(number(loss), expected, real_logits, fake_logits)
    again, problem = d_step(G, D, z, real, update_D, real_label=1.0)[:2]  # no smoothing, as in notebook 03
    expected = bce(real_logits, 1.0) + bce(fake_logits, 0.0)
    if problem or not close(again[0], expected):
        return problem or (
            f"with real_label=1.0 the loss is {number(again[0]):.2f} where {expected:.2f} was expected: the real "
            "images' target is the argument real_label, not a fixed 0.9."
        )
    expected_D = d_step(G, D, z, real, reference_update_D, stale_gradients=False)[2]
    if torch.equal(weights(D_after), weights(d_step(G, D, z, real, real_term_only)[2])):
        return "the fakes' term did not reach D's weights: score them with D(fake.detach()), not under torch.no_grad()."
    if problem := wrong_step("D", D, D_after, expected_D):
        return problem
    real_score, fake_score = torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()
    if close(d_x, fake_score, 1e-3) and close(d_g_z, real_score, 1e-3):
        return (
            "D(x) and D(G(z)) are swapped: return the loss, then D's mean score on the real images, then on the fakes."
        )
    if close(d_x, real_logits.mean(), 1e-3):
        return (
            f"D(x) is {number(d_x):.2f}, D's mean logit, not a probability: return torch.sigmoid(real_logits).mean() "
            "(and the same for the fakes)."
        )
    if not (close(d_x, real_score, 1e-3) and close(d_g_z, fake_score, 1e-3)):
        return (
            f"D(x) and D(G(z)) are {number(d_x):.3f} and {number(d_g_z):.3f} where {real_score:.3f} and "
            f"{fake_score:.3f} were expected: the mean of sigmoid(D's logits) on the real images and on the fakes."
        )
    return None


def wrong_d_loss(got, expected, real, fake):
    """Name the mistake that gives the loss ``got`` on these logits, if we know it."""
    known = {
        "compare the real images with real_label (0.9 here) and the fakes with 0; yours has the labels swapped.": (
            bce(real, 0.0) + bce(fake, 0.9)
        ),
        "the real images' target must be real_label (0.9 with label smoothing), not 1.": bce(real, 1.0) + bce(fake, 0),
        "only the real images get a smoothed target: the fakes' stays 0, not 0.1.": bce(real, 0.9) + bce(fake, 0.1),
        "the sigmoid is applied twice: D returns logits, and BCEWithLogitsLoss applies the sigmoid itself.": (
            bce(torch.sigmoid(real), 0.9) + bce(torch.sigmoid(fake), 0.0)
        ),
        "the fakes' term is missing: add BCE(D(G(z)), 0).": bce(real, 0.9),
        "the real images' term is missing: add BCE(D(x), real_label).": bce(fake, 0.0),
        "the two terms are averaged: add them (the lesson reads d_loss against their sum, 1.38 at equilibrium).": (
            (bce(real, 0.9) + bce(fake, 0.0)) / 2
        ),
        "the loss is summed over the batch: take the mean (BCE's default reduction), so that it does not grow "
        "with the batch size.": len(real) * (bce(real, 0.9) + bce(fake, 0.0)),
        "the loss has the wrong sign: D minimises BCE, which is positive.": -(bce(real, 0.9) + bce(fake, 0.0)),
    }
    for hint, value in known.items():
        if close(got, value):
            return f"the loss is {got:.2f} where {expected:.2f} was expected: {hint}"
    return (
        f"the loss is {got:.2f} where {expected:.2f} was expected: D's loss is "
        "BCE(D(x), real_label) + BCE(D(G(z)), 0), on the logits, each the mean over the batch."
    )


def real_term_only(real, fake, D, opt_D, real_label):
    """A common wrong update_D: its loss is right, but the fakes are scored without a graph."""
    with torch.no_grad():
        fake_logits = D(fake)
    loss = bce(D(real), real_label) + bce(fake_logits, 0.0)
    opt_D.zero_grad(), loss.backward(), opt_D.step()


def wrong_step(name, before, after, expected):
    """Name the mistake in the step of network ``name`` ("D" or "G") whose loss was right: None if its new
    weights are ``expected``'s (one SGD step on the loss), else what it did instead."""
    opt = f"opt_{name}"
    if torch.allclose(weights(after), weights(expected), atol=1e-6):
        return None
    if not after.backward_ran:
        return f"the step had no gradients of the loss: call loss.backward() before {opt}.step()."
    if torch.equal(weights(after), weights(before)):
        if gradients(after) is None:
            return f"{name}'s weights did not change: call {opt}.zero_grad() before loss.backward(), not after it."
        if gradients(after).eq(0.5).all():  # only the leftover gradients: the loss sent none to G
            return "the generator got no gradient: did you detach() the fakes? In update_G it must flow through D."
        return f"{name}'s weights did not change: call {opt}.step() after loss.backward()."
    if torch.allclose(weights(after), weights(expected) - 0.1 * 0.5, atol=1e-6):  # SGD with last step's 0.5 left in
        return f"the step added last step's gradients: call {opt}.zero_grad() before loss.backward()."
    return f"{name}'s weights moved unlike one step on the loss: call loss.backward() once, then {opt}.step()."


def g_step(G, D, z, update, stale_gradients=True):
    """Run ``update`` as the trainer does (D frozen: G's step needs gradients through D, not for D)."""
    G, D = copy.deepcopy(G), copy.deepcopy(D)
    opt_G = sgd(G, stale_gradients)
    D.requires_grad_(False)
    result, problem = run(update, G(z), D, opt_G)
    return result, problem, G


@own_random_numbers
def problem_with_update_G(update_G):
    G, D, z, _ = tiny_gan()
    result, problem, G_after = g_step(G, D, z, update_G)
    if problem:
        return problem
    moved = not torch.equal(weights(G_after), weights(G))
    if result is None:
        return "update_G returns nothing: return the loss." if moved else NOT_DONE
    if isinstance(result, (tuple, list)):
        return "update_G should return one value, the generator's loss."
    with torch.no_grad():
        logits = D(G(z))
    expected = bce(logits, 1.0)
    got = number(result)
    known = {
        "this is the minimax loss log(1 - D(G(z))), which saturates: G gets almost no gradient while D wins. "
        "Use the non-saturating loss BCE(D(G(z)), 1) = -log D(G(z)).": -bce(logits, 0.0),
        "the fakes are compared with label 0, D's target for fakes: G wants D to say real, label 1.": bce(logits, 0.0),
        "the generator's target is 1, not 0.9: label smoothing is only for D's real images.": bce(logits, 0.9),
        "the sigmoid is applied twice: D returns logits, and BCEWithLogitsLoss applies the sigmoid itself.": bce(
            torch.sigmoid(logits), 1.0
        ),
        "the loss is summed over the batch: take the mean (BCE's default reduction).": len(logits) * expected,
    }
    if not close(got, expected):
        for hint, value in known.items():
            if close(got, value):
                return f"the loss is {got:.2f} where {expected:.2f} was expected: {hint}"
        return f"the loss is {got:.2f} where {expected:.2f} was expected: G's loss is BCE(D(G(z)), 1), on the logits."
    return wrong_step("G", G, G_after, g_step(G, D, z, reference_update_G, stale_gradients=False)[2])


def check_update_D(update_D):
    """Check the student's ``update_D``; returns the one to train with (theirs if correct, else ours)."""
    return verdict("update_D", problem_with_update_D(update_D), update_D, reference_update_D)


def check_update_G(update_G):
    """Check the student's ``update_G``; returns the one to train with (theirs if correct, else ours)."""
    return verdict("update_G", problem_with_update_G(update_G), update_G, reference_update_G)


# --- notebook 02: the label glued to the input, the digits of a phone number -----------------------------


@own_random_numbers
def problem_with_glue_label(glue_label):
    labels = torch.tensor([3, 7, 0, 5])  # the largest is 7, so one_hot without num_classes makes 8 columns
    noise = torch.arange(20.0).view(4, 5) / 10
    images = torch.arange(16.0).view(4, 1, 2, 2) / 10 - 0.5
    for x, what in ((noise, "noise vectors shaped (4, 5)"), (images, "images shaped (4, 1, 2, 2)")):
        got, problem = run(glue_label, x, labels)
        if problem == NOT_DONE or (got is None and problem is None and x is noise):
            return NOT_DONE
        if problem and "dimension" in problem and x is images:
            return f"for {what}, {problem}. Flatten the images first: x.flatten(1) gives one row per image."
        if problem and "dimension 0" in problem:
            return f"{problem}. Glue along dim=1, the features, not dim=0, the batch."
        if problem:
            return f"for {what}, {problem}"
        expected = reference_glue_label(x, labels)
        if not isinstance(got, torch.Tensor):
            return f"glue_label should return a tensor, not {type(got).__name__}."
        if got.shape == (2 * len(x), *got.shape[1:]):
            return f"the result has {len(got)} rows for a batch of {len(x)}: glue along dim=1, not dim=0."
        if got.shape[1:] == (expected.shape[1] - 9,):
            return "the label is glued as one number, but 7 is not 'more' than 3: glue F.one_hot(labels, 10)."
        if got.shape[1:] == (expected.shape[1] - 2,):
            return (
                "the one-hot vectors have 8 columns, not 10: F.one_hot(labels) makes only as many as the largest "
                "label in the batch + 1; pass num_classes."
            )
        if got.shape != expected.shape:
            return f"for {what} the result is shaped {tuple(got.shape)}, not {tuple(expected.shape)}."
        if not got.is_floating_point():
            return f"the result is {got.dtype}: keep the input's float type (F.one_hot(...).to(x.dtype))."
        if torch.equal(got, torch.cat([F.one_hot(labels, 10).to(x.dtype), x.flatten(1)], dim=1)):
            return "the one-hot label comes first: glue it after the input (the first layer's weights expect that)."
        if not torch.equal(got, expected):
            return f"for {what} the values are not the input followed by the one-hot label."
    return None


def check_glue_label(glue_label):
    """Check the student's ``glue_label``; returns the one to use (theirs if correct, else ours)."""
    return verdict("glue_label", problem_with_glue_label(glue_label), glue_label, reference_glue_label)


def reference_phone_digits(text):
    """What notebook 02 asks for: the digits 0 to 9 as ints, the separators skipped, a ValueError that names
    anything else (a "+", a full-width digit: unlike ``phone.parse_phone_number``, the digit picker's)."""
    if bad := re.search(r"[^0-9 \-./()]", text):
        raise ValueError(f"{bad.group()!r} at position {bad.start() + 1} is not a digit or a separator")
    return [int(char) for char in text if char in "0123456789"]


@own_random_numbers
def problem_with_phone_digits(phone_digits):
    cases = {
        "010-1234-5678": [0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8],
        "(02) 555.0199": [0, 2, 5, 5, 5, 0, 1, 9, 9],
        "7/4": [7, 4],
    }
    for text, expected in cases.items():
        got, problem = run(phone_digits, text)
        if problem == NOT_DONE or (got is None and problem is None and text.startswith("010")):
            return NOT_DONE
        if problem:
            return f"for {text!r}, {problem}. The separators are space, - . / ( and ): skip them."
        if isinstance(got, str):
            return f"phone_digits({text!r}) returned the text {got!r}: return a list of ints."
        got = list(got) if isinstance(got, (tuple, list)) else got
        if not isinstance(got, list):
            return f"phone_digits({text!r}) returned a {type(got).__name__}: return a list of ints."
        if got == [str(d) for d in expected]:
            return f"the digits are strings ({got[0]!r}, ...): turn each into an int."
        if got == expected[1:] and expected[0] == 0:
            return (
                f"the leading 0 is gone ({got[:3]}...): a phone number is text, not a number; did you convert it "
                "with int()? Read it one character at a time."
            )
        if len(got) > len(expected):
            return f"phone_digits({text!r}) gave {got}: leave the separators out, only the digits."
        if got != expected:
            return f"phone_digits({text!r}) gave {got}, not {expected}."
    for text, char in (("O10-1234-5678", "O"), ("+82 10", "+"), ("5#", "#")):  # a letter O for a zero, a +, a #
        got, problem = run(phone_digits, text)
        said = (problem or "").removeprefix("it raised ValueError: ")
        if said == (problem or ""):  # no ValueError
            return f"{text!r} should raise a ValueError that names {char!r}, but {problem or f'gave {got}'}."
        if not re.search(rf"(?<!\w){re.escape(char)}(?!\w)", said):  # the character itself, not inside a word
            return f"{text!r} raised ValueError({said!r}): say which character is wrong, {char!r}."
    return None


def check_phone_digits(phone_digits):
    """Check the student's ``phone_digits``; returns the one to use (theirs if correct, else ours)."""
    return verdict("phone_digits", problem_with_phone_digits(phone_digits), phone_digits, reference_phone_digits)


# --- notebook 03: the transposed convolution's output size, one generator block --------------------------


def reference_transposed_output_size(size, kernel, stride=1, padding=0):
    """The height (or width) of a transposed convolution's output."""
    return (size - 1) * stride + kernel - 2 * padding  # the full stamped output, cropped by padding on each side


@own_random_numbers
def problem_with_transposed_output_size(output_size):
    # the lesson's example, the DCGAN's first layer and its doublings, then a few odd ones
    cases = [(2, 2, 2, 0), (1, 4, 1, 0), (4, 4, 2, 1), (8, 4, 2, 1), (16, 4, 2, 1), (3, 5, 3, 2), (7, 3, 1, 1)]
    for size, kernel, stride, padding in cases:
        got, problem = run(output_size, size, kernel, stride, padding)
        if problem or got is None:
            return problem or NOT_DONE
        layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding)
        expected = layer(torch.zeros(1, 1, size, size)).shape[-1]  # what PyTorch makes: the truth
        call = f"transposed_output_size({size}, kernel={kernel}, stride={stride}, padding={padding})"
        if isinstance(got, float) and got == expected:
            return f"{call} gave {got}, a float: a size is a whole number (use // or int)."
        if got == expected:
            continue
        mistakes = {
            "subtract the padding, twice (it crops each border)": expected + 2 * padding,
            "subtract 2 x padding: the padding crops both borders, not one": expected + padding,
            "the last stamp starts (in - 1) x stride pixels in, not in x stride": expected + stride,
            "add the kernel: the last stamp is kernel pixels wide": expected - kernel,
            "that is a normal convolution's formula, which shrinks the image; the transposed one grows it": (
                (size + 2 * padding - kernel) // stride + 1
            ),
        }
        hint = next((hint for hint, value in mistakes.items() if got == value), None)  # the cases' order matters
        return f"{call} gave {got}, not {expected}" + (f": {hint}." if hint else ".")
    return None


def check_transposed_output_size(output_size):
    """Check the student's ``transposed_output_size``; returns the one to use (theirs if correct, else ours)."""
    problem = problem_with_transposed_output_size(output_size)
    return verdict("transposed_output_size", problem, output_size, reference_transposed_output_size)


def reference_generator_block(in_channels, out_channels):
    """One DCGAN generator block: twice the height and width, ``out_channels`` channels."""
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),  # keeps each channel's values at a sensible scale
        nn.ReLU(),
    )


@own_random_numbers
def problem_with_generator_block(generator_block):
    block, problem = run(generator_block, 8, 4)
    if problem or block is None:
        return problem or NOT_DONE
    if not isinstance(block, nn.Module):
        return f"generator_block should return a network (nn.Sequential(...)), not {type(block).__name__}."
    out, problem = run(block.train(), torch.randn(16, 8, 5, 5))
    if problem:
        return f"the block, given a batch shaped (16, 8, 5, 5), {problem}"
    layers = list(block.modules())
    shape = tuple(out.shape[1:])
    if shape != (4, 10, 10):
        got, side = "x".join(map(str, shape)), shape[-1]
        if side < 5:
            return f"the image is {got}, smaller than its 5x5 input: use nn.ConvTranspose2d, which grows it."
        if side in ((5 - 1) * 2 + 4 - 2 * padding for padding in (0, 2)):  # kernel 4, stride 2, another padding
            return (
                f"the image is {got}, not 4x10x10: check the padding (with kernel 4 and stride 2, padding 1 doubles)."
            )
        return f"the image is {got}, not 4x10x10: check the stride and the kernel (stride 2 and kernel 4 double)."
    settings = [(c.kernel_size, c.stride, c.padding) for c in layers if isinstance(c, nn.ConvTranspose2d)]
    if settings != [((4, 4), (2, 2), (1, 1))]:
        have = " and ".join(f"kernel_size={k}, stride={s}, padding={p}" for k, s, p in settings) or "none"
        return (
            f"the block's transposed convolutions have {have}: use one nn.ConvTranspose2d with kernel_size=4, "
            "stride=2, padding=1, the DCGAN's (other settings can double the size too, but they are not the lesson's)."
        )
    if next(c for c in layers if isinstance(c, nn.ConvTranspose2d)).bias is not None:
        return "the transposed convolution has a bias: pass bias=False (the BatchNorm after it has its own shift)."
    if not any(isinstance(layer, nn.BatchNorm2d) for layer in layers):
        return "there is no BatchNorm2d: put one between the transposed convolution and the ReLU."
    if any(isinstance(layer, nn.LeakyReLU) for layer in layers):
        return "the generator's blocks end in ReLU; LeakyReLU is the discriminator's."
    if any(isinstance(layer, nn.Tanh) for layer in layers):
        return "Tanh belongs only at the generator's output layer; its blocks end in ReLU."
    if out.min() < 0:  # a ReLU at the end leaves none
        if not any(isinstance(layer, nn.ReLU) for layer in layers):
            return "the block has no activation: end it with nn.ReLU(), after the BatchNorm."
        if out.mean(dim=(0, 2, 3)).abs().max() < 1e-4:  # BatchNorm last: every channel's mean is exactly 0
            return "BatchNorm comes after the ReLU: put it between the transposed convolution and the ReLU."
        return "the output has negative values: end the block with nn.ReLU()."
    return None


def check_generator_block(generator_block):
    """Check the student's ``generator_block``; returns the one to use (theirs if correct, else ours)."""
    problem = problem_with_generator_block(generator_block)
    return verdict("generator_block", problem, generator_block, reference_generator_block)
