"""Fixtures of the browser tests: a headless Chromium, and JupyterLab servers to point it at.

Without a Chromium the tests are skipped, and the end of the run says so in red: never a silent pass.
"""

import lab_driver as lab
import pytest

skipped_because = []


@pytest.fixture(scope="session")
def browser():
    try:
        import playwright  # noqa: F401
    except ImportError:
        skipped_because.append("Playwright is not installed: run `make` (it is in requirements.txt)")
        pytest.skip(skipped_because[-1])
    try:
        with lab.chromium() as browser:
            yield browser
    except lab.NoBrowser as error:
        skipped_because.append(str(error))
        pytest.skip(f"browser tests skipped: {error}")


# --- the class hub (test_hub.py): `make hub`'s configuration behind its proxy, on ports of its own ---------------

hub_skipped_because = []


@pytest.fixture(scope="module")
def class_hub_for():
    """``class_hub_for(env)``: a context manager running the class hub (bench/class_server_load.py starts it the
    way `make hub` does) with ``env`` added; skipped loudly where configurable-http-proxy is not installed. Its
    students' Unix users are deleted when it stops, its state folder when the module's tests are done."""
    import secrets
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(lab.REPO))  # bench/ is a package of the repository
    from bench.class_server_load import NoProxy, check_proxy, class_hub, free_ports

    try:
        check_proxy()
    except NoProxy as error:
        hub_skipped_because.append(str(error))
        pytest.skip(f"the hub's browser test skipped: {error}")

    states = []

    def start(env):
        # Not under pytest's temporary folder (0700: no student could reach their home there), and removed after
        states.append(Path(tempfile.mkdtemp(prefix="gan-hub-test-")))
        return class_hub(states[-1], free_ports(), admin_token=secrets.token_hex(32), **env)

    yield start
    for state in states:
        shutil.rmtree(state, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    """Never a silent pass: each group of browser tests that was skipped says so in red, with what to install."""
    for reasons, title, advice in (
        (
            skipped_because,
            "THE BROWSER TESTS DID NOT RUN",
            "Nothing checked that JupyterLab shows the widgets and the live figures. Install a Chromium "
            "(Debian: `apt-get install chromium`) and run `make test-browser`.",
        ),
        (
            hub_skipped_because,
            "THE BROWSER TEST THROUGH THE CLASS HUB DID NOT RUN",
            "Nothing checked that a student can log in to `make hub` and run a lesson. Install Node.js and npm "
            "(Debian: `apt-get install nodejs npm`) and run `make test-browser`.",
        ),
    ):
        if reasons:
            terminalreporter.write_sep("!", title, red=True, bold=True)
            terminalreporter.write_line(reasons[0], red=True)
            terminalreporter.write_line(advice, red=True)
