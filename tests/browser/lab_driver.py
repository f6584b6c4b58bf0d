"""Drive JupyterLab in headless Chromium with Playwright, as a student would use it.

The browser tests (``test_jupyterlab.py``) and ``make screenshots`` (``screenshots.py``) share this:

    with jupyterlab({"GAN_SMOKE": "1"}) as lab, chromium() as browser:
        page = lab.open(browser, "02_conditional_gan.ipynb")
        run_all_cells(page)
        wait_until_done(page, timeout=120)

``jupyterlab`` starts the project's JupyterLab (this Python's, so the pinned versions and the
settings ``make`` installs) on a free port with no token. It serves copies of the notebooks from a
temporary folder: a run in the browser must never save outputs into ``notebooks/``. The kernel
inherits the server's environment, which is how ``GAN_SMOKE`` and friends reach the notebooks.

``chromium`` finds a Chromium to drive: ``$GAN_CHROMIUM``, the one ``playwright install chromium``
downloads, or a system one (Debian's ``chromium`` package). ``find_chromium`` says which, or why none.
"""

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
WINDOW = {"width": 1280, "height": 800}  # a laptop's browser window
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ERROR_TEXTS = ("Error displaying widget", "Failed to load model class", "Widget Javascript not detected")


class NoBrowser(RuntimeError):
    """No Chromium to drive: the message says what was looked for."""


def find_chromium(playwright=None):
    """``(path, where it came from)`` of the Chromium to drive; ``(None, what was tried)`` when there is none."""
    if os.environ.get("GAN_CHROMIUM"):
        path = Path(os.environ["GAN_CHROMIUM"])
        return (str(path), "$GAN_CHROMIUM") if path.is_file() else (None, f"$GAN_CHROMIUM={path} is not a file")
    if playwright is not None:
        own = Path(playwright.chromium.executable_path)
        if own.is_file():
            return str(own), "Playwright's own Chromium"
    for name in SYSTEM_CHROMIUMS:
        if found := shutil.which(name):
            return found, f"the system's {name}"
    return None, (
        "no Chromium found: not Playwright's own (`.venv/bin/playwright install chromium`), none of "
        f"{', '.join(SYSTEM_CHROMIUMS)} on PATH (Debian: `apt-get install chromium`), and $GAN_CHROMIUM unset"
    )


@contextlib.contextmanager
def chromium():
    """A headless Chromium browser (Playwright's), closed on exit. Raises ``NoBrowser`` when there is none."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path, where = find_chromium(playwright)
        if path is None:
            raise NoBrowser(where)
        browser = playwright.chromium.launch(executable_path=path)
        try:
            yield browser
        finally:
            browser.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """A running JupyterLab server (see ``jupyterlab``)."""

    def __init__(self, url, root, process, log):
        self.url, self.root, self.process, self.log = url, root, process, log
        self.notebooks = root / "notebooks"  # the copies it serves; kernels start here
        self.workspaces = 0

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read()

    def open(self, browser, name, window=WINDOW):
        """A new browser page showing notebook ``name`` with its kernel started and idle.

        Each page gets a workspace of its own, so it shows this notebook only."""
        self.workspaces += 1
        page = browser.new_page(viewport=window)
        page.set_default_timeout(60_000)
        page.goto(f"{self.url}/lab/workspaces/page{self.workspaces}/tree/notebooks/{name}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook")
        # the status bar says "Python 3 (ipykernel) | Idle" once the kernel is ready, unless a dialog asks first
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle'), .jp-Dialog")
        if page.locator(".jp-Dialog").count():
            raise AssertionError(f"JupyterLab shows a dialog: {page.locator('.jp-Dialog').inner_text()}")
        return page

    def stop_kernels(self):
        """Shut every kernel down: a lesson's kernel holds its dataset in memory."""
        for kernel in self.request_json("/api/kernels"):
            request = urllib.request.Request(f"{self.url}/api/kernels/{kernel['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()

    def request_json(self, path):
        return json.loads(self.get(path))

    def log_tail(self, lines=40):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def jupyterlab(env=None, timeout=90):
    """Start this environment's JupyterLab with ``env`` added to its environment; stop it on exit.

    JupyterLab keeps its user settings and workspaces in a temporary folder, not in the home
    directory: what a student would see on a first start, whatever this machine's user chose before.
    """
    root = Path(tempfile.mkdtemp(prefix="gan-lab-"))
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.png"))
    # the pictures the notebooks show (../docs/images/): copied, since Jupyter serves no file outside its root
    shutil.copytree(REPO / "docs" / "images", root / "docs" / "images")
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}  # plots inline
    environment.update(
        JUPYTERLAB_SETTINGS_DIR=str(root / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
        JUPYTER_CONFIG_DIR=str(root / "config"),
        **(env or {}),
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",  # lets stop_kernels() call the REST API; only 127.0.0.1 listens
        f"--ServerApp.root_dir={root}",
    ]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = root / "jupyterlab.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=root)
    lab = JupyterLab(f"http://127.0.0.1:{port}", root, process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{lab.log_tail()}")
            with contextlib.suppress(OSError):
                lab.get("/api/status")
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{lab.log_tail()}")
            time.sleep(0.3)
        yield lab
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)


def stop(process, timeout=20):
    """Stop the server (on SIGTERM it shuts its kernels down first), or kill it if it hangs."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the notebook page ---------------------------------------------------------------------------------------


def run_all_cells(page):
    """JupyterLab's own menu: Run > Run All Cells."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")


def prompts(page):
    """The execution prompt of every code cell: '[3]:', '[*]:' while queued or running, '[ ]:' before."""
    return page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").evaluate_all(
        "prompts => prompts.map(p => p.textContent.trim())"
    )


def done(page):
    """Whether Run All is over: some cell ran and none is queued or running any more (all ran, or one failed)."""
    shown = prompts(page)
    return "[*]:" not in shown and any(prompt[1:-2].isdigit() for prompt in shown)


def wait_until_done(page, timeout):
    deadline = time.monotonic() + timeout
    while not done(page):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the notebook still runs after {timeout} s; prompts: {' '.join(prompts(page))}")
        page.wait_for_timeout(250)


def problems(page, finished=True):
    """What a student would see go wrong: error and stderr outputs, widgets that failed to display and, once the
    notebook has ``finished``, cells that did not run (Run All stops at an error)."""
    found = page.locator(".jp-NotebookPanel .jp-CodeCell").evaluate_all(
        """(cells, texts) => cells.flatMap((cell, i) => {
            const where = `code cell ${i + 1} ${cell.querySelector('.jp-InputPrompt').textContent.trim()}`;
            const errors = [...cell.querySelectorAll(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']," +
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")]
                .map(output => output.textContent.trim())
                .map(text => text.length > 3000 ? `${text.slice(0, 1000)} [...] ${text.slice(-2000)}` : text)
                .map(text => `${where}: ${text}`);
            const broken = texts.filter(text => cell.querySelector('.jp-OutputArea')?.textContent.includes(text))
                .map(text => `${where}: "${text}"`);
            return errors.concat(broken);
        })""",
        list(ERROR_TEXTS),
    )
    not_run = [str(i + 1) for i, prompt in enumerate(prompts(page)) if not prompt[1:-2].isdigit()]
    if finished and not_run:
        found.append(f"code cells that did not run: {', '.join(not_run)}")
    return found


def broken_pictures(page):
    """The pictures of the markdown cells that do not load (a wrong path, a file outside the server's root)."""
    broken = []
    pictures = page.locator(".jp-NotebookPanel .jp-MarkdownCell img")
    for i in range(pictures.count()):
        picture = pictures.nth(i)
        picture.scroll_into_view_if_needed()
        picture.evaluate(
            """image => image.complete || new Promise(done => {
                image.addEventListener('load', done);
                image.addEventListener('error', done);
                setTimeout(done, 20000);
            })"""
        )
        if picture.evaluate("image => image.naturalWidth") == 0:
            broken.append(picture.get_attribute("src").split("?")[0])
    return broken


def training_cell(page):
    """The code cell that trains with a time budget: its progress bar says 'training for N min'."""
    bar = page.locator(".widget-hbox:has(.widget-hprogress)", has_text="training for")
    return page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has=bar)


def cell_with_source(page, text):
    """The code cell whose source contains ``text``."""
    return page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text=text))


def image_fingerprints(cell):
    """A short fingerprint of each picture in ``cell``'s outputs: a changed picture, a new fingerprint."""
    return cell.locator(".jp-OutputArea-output img").evaluate_all(
        """images => images.map(image => {
            let hash = 0;
            for (let i = 0; i < image.src.length; i += 3) hash = (hash * 31 + image.src.charCodeAt(i)) | 0;
            return `${image.src.length}:${hash}`;
        })"""
    )


def image_bytes(image):
    """The bytes of the picture an ``img`` element shows (a data: or blob: URL)."""
    encoded = image.evaluate(
        """async image => {
            const bytes = new Uint8Array(await (await fetch(image.src)).arrayBuffer());
            let text = '';
            for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
            return btoa(text);
        }"""
    )
    return base64.b64decode(encoded)


def overflowing_labels(locator):
    """Text inside ``locator`` that does not fit its box (cut off, often with an ellipsis)."""
    return locator.evaluate(
        """root => [...root.querySelectorAll('label, button, span, .widget-label, .widget-html-content')]
            .filter(e => e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
            .map(e => `${e.textContent.trim()} (${e.scrollWidth} px in ${e.clientWidth} px)`)"""
    )


def smoke_environment():
    """The environment ``make test`` runs the notebooks in: smoke mode, notebook 03 on a few images."""
    data = REPO / (os.environ.get("GAN_DATA_DIR") or "data")
    samples = data / "cifar10-samples"
    return {"GAN_SMOKE": "1", "GAN_DATASET": str(samples) if samples.is_dir() else "cifar10"}
