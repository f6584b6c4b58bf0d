import io

import numpy as np
import pytest
from PIL import Image

import gan_utils
from gan_utils.widget import DigitPicker


@pytest.fixture
def picker(tmp_path):
    gan_utils.seed_everything(0)
    G = gan_utils.ConditionalGenerator(hidden_dim=32)
    return DigitPicker(G, text="010-1234-5678", seed=0, save_to=tmp_path / "number.png")


def decoded(png):
    return Image.open(io.BytesIO(bytes(png)))


def test_starts_with_the_number_drawn(picker):
    image = decoded(picker.image.value)
    assert image.format == "PNG"
    assert image.size == (11 * 28 + 2 * 10, 28)  # 11 digits, 2 gaps
    assert len(picker.resample_row.children) == 11
    assert picker.message.value == ""


def test_typing_updates_the_image(picker):
    before = bytes(picker.image.value)
    picker.text.value = "010-1234-567"  # e.g. a backspace typed in the box
    assert bytes(picker.image.value) != before
    assert decoded(picker.image.value).size == (10 * 28 + 2 * 10, 28)
    assert len(picker.resample_row.children) == 10


def test_digit_buttons_and_backspace(picker):
    picker.text.value = "01"
    picker.keys[7].click()
    picker.keys[0].click()
    assert picker.text.value == "0170"
    assert decoded(picker.image.value).size == (4 * 28, 28)
    picker.backspace.click()
    assert picker.text.value == "017"
    assert decoded(picker.image.value).size == (3 * 28, 28)


def test_new_handwriting_changes_the_drawing_not_the_number(picker):
    before = bytes(picker.image.value)
    picker.new_handwriting.click()
    assert picker.text.value == "010-1234-5678"
    assert bytes(picker.image.value) != before


def test_same_handwriting_toggle(picker):
    assert (picker.z[0] == picker.z[5]).all()  # one style for every digit
    picker.same_style.value = False
    assert not (picker.z[0] == picker.z[5]).all()  # each digit its own
    picker.same_style.value = True
    assert (picker.z[0] == picker.z[5]).all()


def test_resample_one_digit_changes_only_that_digit(picker):
    picker.text.value = "123"
    before = np.asarray(decoded(picker.image.value))
    picker.resample_row.children[1].click()  # the second digit
    after = np.asarray(decoded(picker.image.value))
    assert np.array_equal(before[:, 0:28], after[:, 0:28])
    assert not np.array_equal(before[:, 28:56], after[:, 28:56])
    assert np.array_equal(before[:, 56:84], after[:, 56:84])


def test_invalid_input_shows_a_message_and_keeps_the_last_image(picker):
    before = bytes(picker.image.value)
    picker.text.value = "010-12O4"
    assert "'O' at position 7" in picker.message.value
    assert bytes(picker.image.value) == before
    picker.text.value = "010-1234"
    assert picker.message.value == ""


def test_save_writes_a_valid_png(picker):
    picker.save.click()
    image = Image.open(picker.save_to)
    assert image.format == "PNG" and image.size == (11 * 28 + 2 * 10, 28)
    assert str(picker.save_to.resolve()) in picker.message.value


def test_digit_picker_returns_the_ui():
    G = gan_utils.ConditionalGenerator(hidden_dim=32)
    ui = gan_utils.digit_picker(G)
    assert ui.children  # an ipywidgets.VBox


def test_labels_are_not_cut_at_a_fixed_width(picker):
    # ipywidgets' default widths cut "same handwriting for every digit" off in JupyterLab (tests/browser checks it)
    assert not picker.same_style.indent and picker.same_style.layout.width == "auto"
    assert picker.new_handwriting.layout.width == "auto" and picker.save.layout.width == "auto"
