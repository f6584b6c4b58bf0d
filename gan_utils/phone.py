"""Phone numbers in generated handwriting (notebook 02).

``parse_phone_number`` reads what a person types; ``render_phone_number`` asks a
conditional generator for each digit and lays the digits out side by side,
leaving a small gap wherever the text had a separator.
"""

import unicodedata

import torch

from .utils import denorm, generate, make_noise

SEPARATORS = " -./()"
MAX_DIGITS = 20


def tokenize(text):
    """The digits of ``text`` as ints, with ``None`` for each run of separators between digits.

    Accepts Unicode decimal digits (full-width ``０１０`` too), the separators space, ``-``, ``.``,
    ``/``, ``(`` and ``)`` (full-width forms too), and one ``+`` at the start. Anything else raises
    a ``ValueError`` that names the character and its position, counting from 1.
    """
    tokens = []
    for position, char in enumerate(text, start=1):
        plain = unicodedata.normalize("NFKC", char)  # full-width "０" -> "0", "－" -> "-"
        if char.isdecimal():
            tokens.append(unicodedata.decimal(char))
        elif plain in SEPARATORS or char.isspace():
            if tokens and tokens[-1] is not None:
                tokens.append(None)
        elif plain == "+" and not text[: position - 1].strip():
            continue  # a leading "+" as in +82 10 ...
        else:
            raise ValueError(f"{char!r} at position {position} is not a digit or a separator ({SEPARATORS!r})")
    while tokens and tokens[-1] is None:
        tokens.pop()
    digits = [t for t in tokens if t is not None]
    if not digits:
        raise ValueError("Type at least one digit.")
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"That is {len(digits)} digits; at most {MAX_DIGITS} fit on one line.")
    return tokens


def parse_phone_number(text):
    """The digits of a phone number as a list of ints: ``"010-1234-5678"`` -> ``[0, 1, 0, 1, ...]``."""
    return [t for t in tokenize(text) if t is not None]


def render_tokens(G, tokens, z, gap=10):
    """Draw ``tokens`` (from ``tokenize``) with one noise row of ``z`` per digit; ``None`` is a gap.
    Returns one image ``(C, H, W)`` in [0, 1]."""
    digits = torch.tensor([t for t in tokens if t is not None])
    images = iter(denorm(generate(G, z[: len(digits)], digits)))
    channels, height, _ = G.image_shape
    pieces = [next(images) if t is not None else torch.zeros(channels, height, gap) for t in tokens]
    return torch.cat(pieces, dim=2)


def render_phone_number(G, text, seed=None, same_style=True):
    """``text`` written by the conditional generator ``G``, as one image ``(C, H, W)`` in [0, 1].

    ``same_style=True`` draws every digit from one noise vector: one person's handwriting.
    ``False`` gives each digit its own. The same ``seed`` gives the same image.
    """
    tokens = tokenize(text)
    n_digits = sum(t is not None for t in tokens)
    z = make_noise(1 if same_style else n_digits, G.latent_dim, seed=seed)
    return render_tokens(G, tokens, z.expand(n_digits, -1) if same_style else z)
