"""The class experience in a real browser: JupyterLab in headless Chromium, driven by Playwright.

Headless tests cannot see what fails after a version bump: a widget that JupyterLab cannot display
("Error displaying widget: model not found"), a progress bar that falls back to text, a live figure
that stacks up copies instead of updating in place. These tests open the notebooks in the project's
JupyterLab and look, as a student would. About two minutes; `make test-browser` runs only them.
"""

import io
import re
import time
from dataclasses import dataclass, field

import pytest
from lab_driver import (
    LESSONS,
    broken_pictures,
    done,
    image_bytes,
    image_fingerprints,
    jupyterlab,
    overflowing_labels,
    problems,
    run_all_cells,
    smoke_environment,
    training_cell,
    wait_until_done,
)
from PIL import Image

NEWS_POPUP = "official Jupyter news"
LIVE_SECONDS = 30  # notebook 02's training budget here; the live figure redraws every 3 s of training
MIN_CHANGES = 4  # in LIVE_SECONDS, on any machine: redrawing by time, a slow laptop gets about as many frames
ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # the kernels share the machine with the rest of the tests


@pytest.fixture(scope="module")
def smoke_lab():
    with jupyterlab(smoke_environment() | ONE_THREAD) as server:
        yield server


def test_lab_settings_silence_news_and_update_checks(smoke_lab):
    """make installs lab-settings/overrides.json5 into the environment: JupyterLab's defaults change."""
    settings = smoke_lab.request_json("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {key: value.get("default") for key, value in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false", "the news pop-up would ask every student: run `make` to install settings"
    assert defaults["checkForUpdates"] is False
    tracker = smoke_lab.request_json("/lab/api/settings/@jupyterlab/notebook-extension:tracker")
    assert tracker["schema"]["properties"]["autoStartDefaultKernel"]["default"] is True  # no "Select Kernel" dialog


@pytest.mark.parametrize("name", LESSONS)
def test_notebook_runs_in_jupyterlab(smoke_lab, browser, name):
    """Run All in smoke mode: every cell runs, no error output, the tqdm bars are progress widgets, the
    pictures of the text show."""
    page = smoke_lab.open(browser, name)
    try:
        run_all_cells(page)
        wait_until_done(page, timeout=240)
        found = problems(page)
        assert not found, "\n\n".join(found)
        assert broken_pictures(page) == []
        bars = page.locator(".jp-OutputArea-output .widget-hprogress .progress-bar")
        assert bars.count() >= 1, "no tqdm progress bar rendered as a widget"
        assert page.get_by_text(NEWS_POPUP).count() == 0, "JupyterLab's news pop-up is showing"
        toasts = page.locator(".Toastify__toast")  # JupyterLab's notifications, the news pop-up among them
        assert toasts.count() == 0, f"a notification is showing: {toasts.all_inner_texts()}"
    finally:
        page.close()
        smoke_lab.stop_kernels()


# --- a real training run of notebook 02: the live figure, then the digit picker on the same page -------------


@dataclass
class LiveRun:
    page: object
    lab: object
    seen: list = field(default_factory=list)  # the training cell's image fingerprints at each look


@pytest.fixture(scope="module")
def live_run(browser):
    """Notebook 02 run top to bottom with a training budget of LIVE_SECONDS, watching its training cell."""
    env = {"GAN_SMOKE": "0", "GAN_TRAIN": "1", "GAN_MINUTES": f"{LIVE_SECONDS / 60:.4f}"} | ONE_THREAD
    with jupyterlab(env) as server:
        page = server.open(browser, "02_conditional_gan.ipynb")
        started = time.monotonic()
        run_all_cells(page)
        run = LiveRun(page, server)
        cell = training_cell(page)
        deadline = started + LIVE_SECONDS + 240
        while not done(page):
            if cell.count():
                run.seen.append(image_fingerprints(cell.first))
            if time.monotonic() > deadline:
                pytest.fail(f"notebook 02 still runs after {deadline - started:.0f} s")
            page.wait_for_timeout(200)
        yield run
        page.close()


def test_live_notebook_runs_without_problems(live_run):
    found = problems(live_run.page)
    assert not found, "\n\n".join(found)


def test_live_figure_updates_in_place(live_run):
    looks = [fingerprints for fingerprints in live_run.seen if fingerprints]
    assert looks, "the training cell never showed a figure"
    assert max(len(fingerprints) for fingerprints in looks) == 1, "more than one figure in the training cell"
    pictures = list(dict.fromkeys(fingerprints[0] for fingerprints in looks))
    assert len(pictures) - 1 >= MIN_CHANGES, (
        f"the figure changed {len(pictures) - 1} times in {LIVE_SECONDS} s of training, expected {MIN_CHANGES} or "
        "more: it should redraw every few seconds, however slow the machine"
    )
    after = image_fingerprints(training_cell(live_run.page).first)
    assert after == [pictures[-1]], "after training the cell should still show one figure, the last one"


NUMBER = "010-1234-5678"  # what notebook 02's picker starts with


class Picker:
    """The digit picker of notebook 02 as shown in the browser."""

    def __init__(self, page):
        self.page = page
        self.ui = page.locator(".jp-OutputArea-output:has(img.widget-image)")
        self.text = self.ui.locator(".widget-text input")
        self.same_style = self.ui.locator(".widget-checkbox input")
        self.image = self.ui.locator("img.widget-image")
        self.message = self.ui.locator(".widget-html-content").last

    def picture(self):
        return image_bytes(self.image)

    def button(self, label):
        return self.ui.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))

    def changed_picture(self, before, timeout=20):
        """Wait until the picture differs from ``before``; return the new one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.picture()
            if now != before:
                return now
            self.page.wait_for_timeout(100)
        pytest.fail(f"the picture did not change within {timeout} s")

    def wait_for_message(self, check):
        """Wait until the message under the picture passes ``check``, a JavaScript test of its ``text``."""
        self.page.wait_for_function(f"text => {check}", arg=self.message.element_handle())


@pytest.fixture
def picker(live_run):
    """The picker showing NUMBER in one handwriting, whatever a failed test left behind."""
    picker = Picker(live_run.page)
    picker.ui.scroll_into_view_if_needed()
    picker.same_style.check()
    if picker.text.input_value() != NUMBER:
        picker.text.fill(NUMBER)
    picker.wait_for_message("text.textContent === ''")
    return picker


def test_picker_labels_are_fully_visible(picker):
    assert picker.page.evaluate("() => window.innerWidth") == 1280
    assert overflowing_labels(picker.ui) == []


def test_picker_typing_and_the_keyboard(picker):
    before = picker.picture()
    picker.text.press("End")
    picker.text.press_sequentially("9")
    typed = picker.changed_picture(before)
    picker.text.press("Backspace")
    assert picker.changed_picture(typed) == before  # the same noise: the same picture again
    assert picker.text.input_value() == NUMBER


def test_picker_digit_keys_and_backspace(picker):
    before = picker.picture()
    picker.button("7").click()
    with_seven = picker.changed_picture(before)
    assert picker.text.input_value() == NUMBER + "7"
    picker.button("⌫").click()
    assert picker.changed_picture(with_seven) == before
    assert picker.text.input_value() == NUMBER


@pytest.mark.parametrize("control", ["↻1", "same handwriting", "new handwriting"])
def test_picker_buttons_draw_new_handwriting(picker, control):
    before = picker.picture()
    if control == "same handwriting":
        picker.same_style.uncheck()
    else:
        picker.button(control).click()
    picker.changed_picture(before)
    assert picker.text.input_value() == NUMBER


def test_picker_invalid_input_shows_the_message_and_keeps_the_picture(picker):
    before = picker.picture()
    picker.text.press("End")
    picker.text.press_sequentially("O")  # a letter O, not a zero
    picker.wait_for_message("text.textContent.includes(\"'O' at position\")")
    picker.page.wait_for_timeout(500)  # time for a wrong redraw to arrive, were there one
    assert picker.picture() == before
    picker.text.press("Backspace")
    picker.wait_for_message("text.textContent === ''")


def test_picker_saves_a_png(picker, live_run):
    saved = live_run.lab.notebooks / "phone_number.png"
    saved.unlink(missing_ok=True)
    picker.button("save PNG").click()
    picker.wait_for_message("text.textContent.includes('Saved')")
    assert re.search(r"phone_number\.png", picker.message.inner_text())
    png = saved.read_bytes()
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert png == picker.picture()  # the file holds what the picker shows
