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


def pytest_terminal_summary(terminalreporter):
    if skipped_because:
        terminalreporter.write_sep("!", "THE BROWSER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(skipped_because[0], red=True)
        terminalreporter.write_line(
            "Nothing checked that JupyterLab shows the widgets and the live figures. Install a Chromium "
            "(Debian: `apt-get install chromium`) and run `make test-browser`.",
            red=True,
        )
