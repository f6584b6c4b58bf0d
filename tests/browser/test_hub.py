"""A class through the hub of `make hub` (class-server/), in headless Chromium: a student signs up and logs in,
their server starts with their own copy of the lessons, notebook 02 runs in smoke mode in JupyterLab behind the
hub's proxy, and the digit picker answers. A student who is not on the class list waits for the teacher.
Then, without a browser, the students are kept apart: code in ada's kernel cannot read bob's home or the hub's
secrets and runs as her own Unix user within her limits; sign-up refuses names Unix cannot take; another's server
says it is not yours; a locked-out name is told how long to wait; a hub restart keeps a saved file and a login.

About two and a half minutes; skipped, in red at the end of the run, where configurable-http-proxy (npm) is missing.
"""

import os
import pwd
import re
import time
from pathlib import Path

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


# --- students apart (no browser: the hub's forms and REST API, and code run in a student's kernel) --------------
# These try to break in the way a curious student would: from inside ada's kernel, at bob's home and the hub's
# secrets; at sign-up, with names no Unix user can have; at bob's server's address.

VICTIM = "bob"
SECRETS = ("jupyterhub.sqlite", "jupyterhub_cookie_secret")
BREAK_IN = r"""
import json, os, pathlib
def attempt(action):
    try:
        action()
        return "succeeded"
    except OSError as error:
        return type(error).__name__
state, bob = pathlib.Path({state!r}), pathlib.Path({state!r}) / "homes" / "bob"
report = {{
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "read bob's file": attempt(lambda: (bob / "diary.txt").read_text()),
    "list bob's home": attempt(lambda: os.listdir(bob)),
    "write into bob's home": attempt(lambda: (bob / "from-ada.txt").write_text("hello")),
    "list the homes": attempt(lambda: os.listdir(state / "homes")),
    "read the hub's database": attempt(lambda: (state / "hub" / "jupyterhub.sqlite").read_bytes()),
    "read the cookie secret": attempt(lambda: (state / "hub" / "jupyterhub_cookie_secret").read_bytes()),
    "list the hub's folder": attempt(lambda: os.listdir(state / "hub")),
    "read the hub's log": attempt(lambda: (state / "hub" / "jupyterhub.log").read_bytes()),
}}
others, cmdlines = [], []
for proc in pathlib.Path("/proc").iterdir():
    if proc.name.isdigit():
        try:
            owner = proc.stat().st_uid
            cmdlines.append((proc / "cmdline").read_bytes().decode(errors="replace"))
            (proc / "environ").read_bytes()
            if owner != os.getuid():
                others.append(proc.name)
        except OSError:
            pass
report.update(others_environments=others, cmdlines=cmdlines, environment=dict(os.environ))
print("BREAK_IN " + json.dumps(report))
"""


def student(hub, name):
    """``name``'s server, started through the admin API if it is not running; a bench Student (token, kernel)."""
    from bench.class_server_load import Student

    if not any(user["name"] == name for user in hub.api("GET", "/users")):
        hub.api("POST", "/users", json={"usernames": [name]})
    deadline = time.monotonic() + 180
    while not hub.api("GET", f"/users/{name}")["servers"].get("", {}).get("ready"):
        if not hub.api("GET", f"/users/{name}")["pending"] and not hub.api("GET", f"/users/{name}")["servers"]:
            hub.api("POST", f"/users/{name}/server")
        assert time.monotonic() < deadline, f"{name}'s server did not start:\n{hub.log_tail()}"
        time.sleep(0.5)
    return Student(hub, name)


def processes():
    """Every process, as root sees it: pid, uid, command line, environment."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                uid = int((proc / "status").read_text().split("\nUid:")[1].split()[0])
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                environ = dict(
                    item.split("=", 1)
                    for item in (proc / "environ").read_bytes().decode(errors="replace").split("\0")
                    if "=" in item
                )
            except (OSError, IndexError):
                continue
            found.append({"pid": int(proc.name), "uid": uid, "cmdline": cmdline, "environ": environ})
    return found


def students_processes(hub):
    """The processes of this hub's students (servers, kernels): the environment names the hub's API and a user
    (the idle culler, a service, has an empty one)."""
    api = f"127.0.0.1:{hub.port + 1}"
    return [
        p
        for p in processes()
        if api in p["environ"].get("JUPYTERHUB_API_URL", "") and p["environ"].get("JUPYTERHUB_USER")
    ]


def xsrf(session, hub, page):
    return re.search(r'name="_xsrf" value="([^"]+)"', session.get(f"{hub.url}/hub/{page}", timeout=30).text).group(1)


def sign_up_by_form(session, hub, name, password=PASSWORD):
    data = {"username": name, "signup_password": password, "signup_password_confirmation": password}
    return session.post(f"{hub.url}/hub/signup", data=data | {"_xsrf": xsrf(session, hub, "signup")}, timeout=30)


def log_in_by_form(session, hub, name, password=PASSWORD):
    data = {"username": name, "password": password, "_xsrf": xsrf(session, hub, "login")}
    return session.post(f"{hub.url}/hub/login", data=data, allow_redirects=False, timeout=30)


@pytest.fixture(scope="module")
def ada_and_bob(hub):
    """ada (who tries to break in) and bob (whose home she tries), both with running servers; bob has a diary."""
    bob = student(hub, VICTIM)
    diary = hub.state / "homes" / VICTIM / "diary.txt"
    diary.write_text("bob's own")
    os.chown(diary, *pwd_of(hub, VICTIM)[:2])
    return student(hub, STUDENT), bob


def pwd_of(hub, name):
    entry = pwd.getpwnam(hub.user_prefix + name)
    return entry.pw_uid, entry.pw_gid


def test_from_a_students_kernel_no_other_home_and_no_hub_secret_can_be_read(hub, ada_and_bob):
    import json

    ada, _ = ada_and_bob
    ada.start_kernel()
    try:
        text, error, _ = ada.execute(BREAK_IN.format(state=str(hub.state)))
    finally:
        ada.socket.close()
    assert error is None, error
    report = json.loads(next(line for line in text.splitlines() if line.startswith("BREAK_IN ")).split(" ", 1)[1])
    uid, gid = pwd_of(hub, STUDENT)
    assert (report["uid"], report["euid"], report["gid"]) == (uid, gid, gid) and uid != 0
    assert 0 not in report["groups"]
    tries = {what: outcome for what, outcome in report.items() if isinstance(outcome, str)}
    assert tries == {what: "PermissionError" for what in tries}, tries
    assert (hub.state / "homes" / VICTIM / "diary.txt").read_text() == "bob's own"
    assert report["others_environments"] == [], "ada read the environment of another user's process"
    # Nothing she can read holds a secret: not the cookie secret, the proxy's token, the admin's token or bob's
    everyone = processes()
    proxy = next(p for p in everyone if "CONFIGPROXY_AUTH_TOKEN" in p["environ"] and str(hub.port + 2) in p["cmdline"])
    bobs = next(p for p in students_processes(hub) if p["environ"]["JUPYTERHUB_USER"] == VICTIM)
    hidden = {
        "the cookie secret": (hub.state / "hub" / "jupyterhub_cookie_secret").read_text().strip(),
        "the proxy's token": proxy["environ"]["CONFIGPROXY_AUTH_TOKEN"],
        "the admin token": hub.admin_token,
        "bob's token": bobs["environ"]["JUPYTERHUB_API_TOKEN"],
    }
    readable = "\n".join(report["cmdlines"]) + "\n" + json.dumps(report["environment"])
    assert [what for what, value in hidden.items() if value in readable] == []
    assert not {"GAN_HUB_ADMIN_TOKEN", "CONFIGPROXY_AUTH_TOKEN"} & set(report["environment"])
    # the hub's database and cookie secret: its user's only (0600), in a folder of its user's only (0700)
    for path, mode in ((hub.state / "hub", 0o700), *((hub.state / "hub" / name, 0o600) for name in SECRETS)):
        assert (path.stat().st_uid, path.stat().st_mode & 0o777) == (0, mode), f"{path}: {oct(path.stat().st_mode)}"


def test_each_students_server_runs_as_their_own_user_within_limits(hub, ada_and_bob):
    from bench.class_server_load import class_server_module

    spawner = class_server_module("class_spawner")
    found = students_processes(hub)
    assert {p["environ"]["JUPYTERHUB_USER"] for p in found} >= {STUDENT, VICTIM}
    for process in found:  # every server and kernel of this hub's students: never root, always its student
        assert process["uid"] == pwd_of(hub, process["environ"]["JUPYTERHUB_USER"])[0], process["cmdline"]
    server = next(
        p for p in found if "jupyterhub-singleuser" in p["cmdline"] and p["environ"]["JUPYTERHUB_USER"] == STUDENT
    )
    assert "--allow-root" not in server["cmdline"]
    home = hub.state / "homes" / STUDENT
    assert home.stat().st_uid == server["uid"] and home.stat().st_mode & 0o777 == 0o700
    limits = Path(f"/proc/{server['pid']}/limits").read_text()
    assert re.search(r"Max processes\s+512\s+512", limits), limits
    unix_name = hub.user_prefix + STUDENT
    groups = Path(f"/proc/{server['pid']}/cgroup").read_text()
    if "memory" in spawner.cgroup_dirs(unix_name):  # this machine has cgroups v1: the memory limit is the group's
        folder = spawner.cgroup_dirs(unix_name)["memory"]
        assert f"/{spawner.CGROUP_PARENT}/{unix_name}\n" in groups.split("memory:")[1].split("\n")[0] + "\n"
        assert int((folder / "memory.limit_in_bytes").read_text()) == 3 * 2**30
    else:  # none: each process's data segment
        assert re.search(rf"Max data size\s+{3 * 2**30}\s+{3 * 2**30}", limits), limits


def test_sign_up_refuses_names_a_unix_user_cannot_have(hub):
    import requests

    rule = "A user name has 1 to"
    session = requests.Session()
    for name in ("a" * 300, "b" * 5000, "ada lovelace", "1ada", "ada.l", "-rf", "ädа", "bob;ls", "root/..", "x" * 21):
        page = sign_up_by_form(session, hub, name)
        assert page.status_code == 200 and rule in page.text, (name[:40], page.status_code, page.text[-2000:])
        assert "lowercase letters (a-z), digits (0-9), - and _, and starts with a letter" in page.text
    # the longest name the prefix leaves (32 characters with it) is fine
    longest = "z" * (32 - len(hub.user_prefix))
    page = sign_up_by_form(session, hub, longest)
    assert page.status_code == 200 and rule not in page.text and "sent to the admin" in page.text
    # logging in with an impossible name is a refusal, not an error; nor can the admin API create one
    page = log_in_by_form(session, hub, "a" * 300)
    assert page.status_code == 200 and "Invalid username or password" in page.text
    with pytest.raises(RuntimeError, match="400"):
        hub.api("POST", "/users", json={"usernames": ["c" * 300]})


def test_another_students_server_says_it_is_not_yours_and_points_to_yours(hub, ada_and_bob):
    import requests

    session = requests.Session()
    sign_up_by_form(session, hub, STUDENT)  # on the class list: approved (already signed up: "in use", fine)
    assert log_in_by_form(session, hub, STUDENT).status_code == 302
    for running in (True, False):  # bob's running server (the hub's OAuth refuses ada), then his stopped one
        if not running:
            hub.api("DELETE", f"/users/{VICTIM}/server")
            while hub.api("GET", f"/users/{VICTIM}")["servers"]:
                time.sleep(0.5)
        page = session.get(f"{hub.url}/user/{VICTIM}/lab", timeout=60)
        assert page.status_code in (403, 404), (page.status_code, page.url)
        assert "This is not your server" in page.text, page.text[-2000:]
        assert f'href="/user/{STUDENT}/"' in page.text and f'url=/user/{STUDENT}/"' in page.text


def test_a_locked_out_student_is_told_how_long_to_wait(hub):
    import requests

    session = requests.Session()
    sign_up_by_form(session, hub, "carol")
    for _ in range(5):  # the fifth wrong password locks the name
        page = log_in_by_form(session, hub, "carol", "not-her-password")
    assert "Too many wrong passwords for carol: wait 10 minutes, then try again" in page.text, page.text[-1500:]
    page = log_in_by_form(session, hub, "carol")  # even the right password waits
    assert page.status_code == 200 and "wait 10 minutes" in page.text


def test_a_hub_restart_keeps_a_students_saved_file_and_login(hub, ada_and_bob):
    import requests

    ada, _ = ada_and_bob
    session = requests.Session()
    sign_up_by_form(session, hub, STUDENT)
    assert log_in_by_form(session, hub, STUDENT).status_code == 302
    saved = {"type": "file", "format": "text", "content": "my notes, before the restart"}
    response = requests.put(f"{ada.server}/api/contents/notes.txt", json=saved, headers=ada.headers, timeout=60)
    assert response.status_code in (200, 201), response.text
    server_pid = next(
        p["pid"]
        for p in students_processes(hub)
        if "jupyterhub-singleuser" in p["cmdline"] and p["environ"]["JUPYTERHUB_USER"] == STUDENT
    )
    hub.restart()
    home = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=60)
    assert home.status_code == 200, "the login did not survive the restart"
    assert ada.get("/api/contents/notes.txt")["content"] == saved["content"]  # through the restarted proxy
    assert Path(f"/proc/{server_pid}").exists()  # the same server, found again by the restarted hub
    assert log_in_by_form(requests.Session(), hub, STUDENT).status_code == 302  # her password too
