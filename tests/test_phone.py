import pytest
import torch

import gan_utils
from gan_utils.phone import tokenize

VALID = [
    ("010-1234-5678", [0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ("0101234 5678", [0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ("+82 10 1234 5678", [8, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ("(02) 555.1234", [0, 2, 5, 5, 5, 1, 2, 3, 4]),
    ("555/1234", [5, 5, 5, 1, 2, 3, 4]),
    ("０１０－１２３４", [0, 1, 0, 1, 2, 3, 4]),  # full-width digits and hyphen
    ("٠١٢٣", [0, 1, 2, 3]),  # Arabic-Indic digits are Unicode decimal digits too
    ("  7  ", [7]),
    ("＋1 (800) 555-0199", [1, 8, 0, 0, 5, 5, 5, 0, 1, 9, 9]),
    ("1" * 20, [1] * 20),
]

INVALID = [
    ("O10-1234-5678", "'O' at position 1"),  # a letter O, not a zero
    ("call 911", "'c' at position 1"),
    ("010📞1234", "'📞' at position 4"),
    ("010_1234", "'_' at position 4"),
    ("12+34", "'+' at position 3"),  # '+' only at the start
    ("++1", "'+' at position 2"),
    ("", "at least one digit"),
    ("--- ()", "at least one digit"),
    ("1" * 21, "21 digits"),
    ("½", "'½' at position 1"),  # numeric, but not a decimal digit
]


@pytest.mark.parametrize(("text", "digits"), VALID)
def test_parse_valid_numbers(text, digits):
    assert gan_utils.parse_phone_number(text) == digits


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_parse_rejects_with_character_and_position(text, message):
    with pytest.raises(ValueError, match=message.replace("+", r"\+").replace("(", r"\(")):
        gan_utils.parse_phone_number(text)


def test_separators_become_single_gaps():
    assert tokenize("(010) 12") == [0, 1, 0, None, 1, 2]
    assert tokenize("+82-10") == [8, 2, None, 1, 0]


@pytest.fixture(scope="module")
def G():
    gan_utils.seed_everything(0)
    return gan_utils.ConditionalGenerator(hidden_dim=32, dropout=0.2)


def test_render_lays_digits_side_by_side_with_gaps(G):
    image = gan_utils.render_phone_number(G, "010-57", seed=1)
    assert image.shape == (1, 28, 5 * 28 + 10)
    assert image.min() >= 0 and image.max() <= 1
    assert torch.all(image[:, :, 3 * 28 : 3 * 28 + 10] == 0)  # the gap is blank


def test_render_same_seed_same_image_and_styles(G):
    same = gan_utils.render_phone_number(G, "0101", seed=3)
    assert torch.equal(same, gan_utils.render_phone_number(G, "0101", seed=3))
    assert not torch.equal(same, gan_utils.render_phone_number(G, "0101", seed=4))
    # one handwriting: the two 0s (and the two 1s) are the very same drawing
    assert torch.equal(same[:, :, 0:28], same[:, :, 56:84])
    mixed = gan_utils.render_phone_number(G, "0101", seed=3, same_style=False)
    assert not torch.equal(mixed[:, :, 0:28], mixed[:, :, 56:84])
    assert G.training  # rendering does not leave the generator in eval mode
