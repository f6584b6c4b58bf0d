"""The README's pictures, taken from real runs of the notebooks in JupyterLab: `make screenshots`.

    .venv/bin/python tests/browser/screenshots.py [--minutes M] [01 02 03]

Each lesson runs top to bottom in the project's JupyterLab in headless Chromium, driven by the same code
as the browser tests (``lab_driver.py``), with its own training budget (the notebook's default, or M
minutes). What a student sees is what the pictures show. The script writes into docs/images/:

    lesson01_live.png, lesson02_live.png, lesson03_live.png
                          each lesson's training cell part-way through training: progress bar, live figure
    your_turn_check.png   notebook 01's "Your turn" check answering a wrong update_D (the fakes not detached)
    legibility.png        notebook 02's legibility chart
    phone_number.png      010-1234-5678 in one handwriting and in mixed handwriting (notebook 02)
    digit_picker.png      notebook 02's digit picker
    dcgan_timelapse.gif   notebook 03's time-lapse of its samples (fewer frames if needed to stay under 2 MB)

Name lessons (``02``) to retake only their pictures.

Notebook 03 trains on ``$GAN_DATASET`` when it is set, else on the JPEG copy of CIFAR-10 in
``$GAN_DATA_DIR/cifar10-jpeg/train`` when there, else on CIFAR-10 (downloaded). The whole run takes a little
longer than the three training budgets together (12 minutes with the defaults here).
"""

import argparse
import io
import os
import time

import nbformat
from lab_driver import (
    REPO,
    cell_with_source,
    chromium,
    image_bytes,
    image_fingerprints,
    jupyterlab,
    problems,
    prompts,
    run_all_cells,
    training_cell,
    wait_until_done,
)
from PIL import Image, ImageSequence

IMAGES = REPO / "docs" / "images"
PART_WAY = 60  # percent of the training budget gone when the live figure is taken
GIF_LIMIT = 2_000_000  # bytes
HOUR = 3600


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, help="every lesson's training budget (default: each notebook's)")
    parser.add_argument("lessons", nargs="*", help="which lessons: 01, 02, 03 (default: all three)")
    args = parser.parse_args(argv)
    if set(args.lessons) - {"01", "02", "03"}:  # (argparse's choices reject an empty list here)
        parser.error(f"no such lesson: {' '.join(sorted(set(args.lessons) - {'01', '02', '03'}))}; use 01, 02 or 03")
    env = {"GAN_SMOKE": "0", "GAN_TRAIN": "1", "GAN_DATASET": cifar10()}
    if args.minutes:
        env["GAN_MINUTES"] = f"{args.minutes:g}"
    IMAGES.mkdir(parents=True, exist_ok=True)
    with jupyterlab(env) as lab, chromium() as browser:
        for name, take_pictures in (
            ("01_vanilla_gan.ipynb", lesson01),
            ("02_conditional_gan.ipynb", lesson02),
            ("03_dcgan_cifar10.ipynb", lesson03),
        ):
            if args.lessons and name[:2] not in args.lessons:
                continue
            print(f"running {name} in JupyterLab", flush=True)
            page = lab.open(browser, name)
            run_all_cells(page)
            take_pictures(page)
            page.close()
            lab.stop_kernels()


def lesson01(page):
    live_figure(page, "lesson01_live.png")
    wait_until_done(page, timeout=HOUR)
    check(problems(page))
    your_turn_wrong_answer(page)


def your_turn_wrong_answer(page):
    """Notebook 01's update_D typed in again with a student's mistake (the fakes not detached), run, and its check
    run: the picture is what the check says. (The page serves a copy of the notebooks: nothing is saved here.)"""
    notebook = nbformat.read(REPO / "notebooks" / "01_vanilla_gan.ipynb", as_version=4)
    ours = next(cell.source for cell in notebook.cells if cell.source.lstrip().startswith("import torch.nn.functional"))
    wrong = ours.replace("fake.detach()", "fake")
    assert wrong != ours, "notebook 01's update_D no longer detaches the fakes: pick another mistake"
    cell_with_source(page, "def update_D(").locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(wrong)  # as pasted: no auto-indent
    page.keyboard.press("Shift+Enter")  # runs update_D and moves to its check
    page.keyboard.press("Shift+Enter")
    said = cell_with_source(page, "check_update_D(").locator(".jp-OutputArea-output").first
    said.filter(has_text="not right yet").wait_for(timeout=120_000)
    save_png(steady_screenshot(said), "your_turn_check.png")


def lesson02(page):
    live_figure(page, "lesson02_live.png")
    wait_until_done(page, timeout=HOUR)
    check(problems(page))
    save_png(image_bytes(cell_with_source(page, "plot_legibility(").locator("img").first), "legibility.png")
    save_png(image_bytes(cell_with_source(page, "mixed handwriting").locator("img").first), "phone_number.png")
    picker = page.locator(".jp-OutputArea-output:has(img.widget-image)")
    save_png(steady_screenshot(picker), "digit_picker.png")


def lesson03(page):
    live_figure(page, "lesson03_live.png")
    gif = page.locator(".jp-OutputArea-output img[src^='data:image/gif']")
    gif.wait_for(timeout=HOUR * 1000)
    check(problems(page, finished=False))
    path = IMAGES / "dcgan_timelapse.gif"
    path.write_bytes(small_gif(image_bytes(gif)))
    report(path)


def live_figure(page, name):
    """When training is PART_WAY through its budget and the figure has just changed, take the training cell."""
    cell = training_cell(page)
    while not cell.count():
        if "[*]:" not in prompts(page):  # the notebook stopped before training
            check(problems(page))
            raise SystemExit("The notebook finished without a training cell (a progress bar 'training for ...').")
        page.wait_for_timeout(500)
    bar = cell.locator(".widget-hprogress .progress-bar")
    while bar.evaluate("bar => parseFloat(bar.style.width) || 0") < PART_WAY:
        page.wait_for_timeout(500)
    shown = image_fingerprints(cell)
    deadline = time.monotonic() + 60
    while image_fingerprints(cell) == shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    check(problems(page, finished=False))
    save_png(steady_screenshot(cell.locator(".jp-OutputArea")), name)


def steady_screenshot(element):
    """A picture of ``element``, taken again if the page moved meanwhile (Run All scrolls to the cells it runs)."""
    for _ in range(10):
        element.scroll_into_view_if_needed()
        where = element.bounding_box()
        png = element.screenshot()
        if element.bounding_box() == where:
            return png
    raise RuntimeError("the page kept moving: no steady screenshot")


def check(found):
    if found:
        raise SystemExit("The notebook shows problems; no pictures from this run:\n" + "\n\n".join(found))


def save_png(png, name):
    """Save a picture as a small PNG: at most 256 colours, optimised."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(IMAGES / name, optimize=True)
    report(IMAGES / name)


def small_gif(gif, limit=GIF_LIMIT):
    """The animated GIF ``gif``, with evenly spaced frames dropped until it is under ``limit`` bytes.

    The animation lasts about as long as the original, and the last frame stays up for two seconds."""
    original = Image.open(io.BytesIO(gif))
    frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(original)]
    length = original.info.get("duration", 150) * len(frames)
    keep = len(frames)
    while True:
        picks = [frames[round(i * (len(frames) - 1) / max(1, keep - 1))] for i in range(keep)]
        durations = [max(40, round(length / keep))] * (keep - 1) + [2000]
        buffer = io.BytesIO()
        picks[0].save(buffer, format="gif", save_all=True, append_images=picks[1:], duration=durations, loop=0)
        if buffer.tell() < limit or keep <= 2:
            return buffer.getvalue()
        keep = max(2, int(keep * 0.8))


def cifar10():
    """What notebook 03 trains on here: $GAN_DATASET, else the JPEG copy of CIFAR-10 when there, else CIFAR-10."""
    if os.environ.get("GAN_DATASET"):
        return os.environ["GAN_DATASET"]
    jpeg = REPO / (os.environ.get("GAN_DATA_DIR") or "data") / "cifar10-jpeg" / "train"
    return str(jpeg) if jpeg.is_dir() else "cifar10"


def report(path):
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size / 1000:.0f} kB)", flush=True)


if __name__ == "__main__":
    main()
