"""A class through the hub of `make hub` (class-server/), in headless Chromium: a student signs up and logs in,
their server starts with their own copy of the lessons, notebook 02 runs in smoke mode in JupyterLab behind the
hub's proxy, and the digit picker answers. A student who is not on the class list waits for the teacher.

About two minutes; skipped, in red at the end of the run, where configurable-http-proxy (npm) is missing.
"""

import re
import time

import pytest
from lab_driver import (
    LESSONS,
    WINDOW,
    broken_pictures,
    image_bytes,
    problems,
    run_all_cells,
    smoke_environment,
    wait_until_done,
)

STUDENT, NEWCOMER, TEACHER = "ada", "grace", "teacher"
PASSWORD = "bright-owl-17"  # NativeAuthenticator refuses short and common passwords


@pytest.fixture(scope="module")
def hub(class_hub_for):
    # GAN_HUB_STUDENTS: the class list, let in on sign-up; anyone else waits for the teacher's approval
    env = smoke_environment() | {"GAN_HUB_STUDENTS": STUDENT, "GAN_HUB_TEACHER": TEACHER, "GAN_HUB_THREADS": "1"}
    with class_hub_for(env) as hub:
        yield hub


def sign_up(page, hub, name):
    page.goto(f"{hub.url}/hub/signup")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.fill("#password_confirmation_input", PASSWORD)
    page.click("#signup_submit")
    page.wait_for_selector(".alert")


def log_in(page, hub, name):
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def student_page(hub, browser):
    """The student's browser after signing up and logging in: JupyterLab, served by their own server."""
    page = browser.new_page(viewport=WINDOW)
    page.set_default_timeout(60_000)
    sign_up(page, hub, STUDENT)
    log_in(page, hub, STUDENT)
    # the hub starts the server, then sends the browser on to JupyterLab (the lessons' folder)
    page.wait_for_url(re.compile(rf"/user/{STUDENT}/lab"), timeout=180_000)
    yield page
    page.close()


def test_the_students_home_has_the_lessons_and_their_own_checkpoints_folder(student_page, hub):
    home = hub.state / "homes" / STUDENT
    assert sorted(path.name for path in (home / "notebooks").glob("*.ipynb")) == LESSONS
    assert (home / "docs" / "images").is_dir()  # the pictures the lessons show
    server = hub.api("GET", f"/users/{STUDENT}")["servers"][""]
    assert server["ready"]


def test_notebook_02_runs_behind_the_hub_and_the_picker_answers(student_page, hub):
    page = student_page
    page.goto(f"{hub.url}/user/{STUDENT}/lab/workspaces/hubtest/tree/notebooks/02_conditional_gan.ipynb")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle'), .jp-Dialog")
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    run_all_cells(page)
    wait_until_done(page, timeout=300)
    found = problems(page)
    assert not found, "\n\n".join(found)
    assert broken_pictures(page) == []  # the pictures of the text (../docs/images/ in the student's home)
    # the lesson's checkpoint went to the student's home (GAN_CHECKPOINT_DIR), not into the shared repository
    home = hub.state / "homes" / STUDENT
    assert (home / "checkpoints" / "conditional_gan.pt").is_file()

    picker = page.locator(".jp-OutputArea-output:has(img.widget-image)")
    picker.scroll_into_view_if_needed()
    text, picture = picker.locator(".widget-text input"), picker.locator("img.widget-image")
    before = image_bytes(picture)
    number = text.input_value()
    picker.locator("button").filter(has_text=re.compile(r"^\s*7\s*$")).click()
    page.wait_for_function("([input, old]) => input.value !== old", arg=[text.element_handle(), number])
    assert text.input_value() == number + "7"
    deadline = time.monotonic() + 20
    while image_bytes(picture) == before:
        assert time.monotonic() < deadline, "the picker did not redraw within 20 s of a digit key"
        page.wait_for_timeout(100)
    picker.locator("button").filter(has_text="save PNG").click()
    message = picker.locator(".widget-html-content").last
    page.wait_for_function("text => text.textContent.includes('Saved')", arg=message.element_handle())
    assert (home / "notebooks" / "phone_number.png").read_bytes()[:4] == b"\x89PNG"  # saved in the student's home


def test_a_student_not_on_the_class_list_waits_for_the_teacher(hub, browser):
    context = browser.new_context(viewport=WINDOW)
    newcomer, teacher = context.new_page(), browser.new_context(viewport=WINDOW).new_page()
    try:
        sign_up(newcomer, hub, NEWCOMER)
        assert "sent to the admin" in newcomer.inner_text(".alert")
        log_in(newcomer, hub, NEWCOMER)
        assert "/hub/login" in newcomer.url, "logged in before the teacher approved"
        # the teacher (the admin: approved on sign-up) approves at /hub/authorize
        sign_up(teacher, hub, TEACHER)
        log_in(teacher, hub, TEACHER)
        teacher.goto(f"{hub.url}/hub/authorize/{NEWCOMER}")  # the teacher's "Authorize" button: back to the list
        assert teacher.url.endswith(f"/hub/authorize#{NEWCOMER}")
        log_in(newcomer, hub, NEWCOMER)
        assert "/hub/login" not in newcomer.url
    finally:
        newcomer.context.close()
        teacher.context.close()
